# golb as one self-contained executable on a slim Debian base, for amd64 and
# arm64 from this one file:
#   docker buildx build --platform linux/amd64,linux/arm64 -t golb .
# (`docker build .` makes the image for the machine it runs on.)
#
# The build stage runs on the builder's own platform ($BUILDPLATFORM), never
# emulated: its steps are the project's own commands, `npm ci` (the lock file
# holds every platform's optional packages, so it installs on amd64 and arm64
# alike) and `npm run build`, the build the test suite runs
# (tests/dockerfile.test.ts holds them together). That build cross-compiles
# dist/golb-linux-amd64 and dist/golb-linux-arm64 (Bun fetches the other
# architecture's runtime from the npm registry); each image takes the one its
# $TARGETARCH names.
FROM --platform=$BUILDPLATFORM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

FROM debian:bookworm-slim
ARG TARGETARCH
COPY --from=build /src/dist/golb-linux-${TARGETARCH} /usr/local/bin/golb
# The embedded source reads weights.json from the working directory unless
# eb_go_lb_weights_file says otherwise; mount it here.
WORKDIR /etc/golb
USER nobody
EXPOSE 8080
ENV eb_go_lb_mode=prod
# `golb healthcheck` asks this golb's /readyz and exits 0 when it answers 200.
HEALTHCHECK --interval=10s --timeout=3s CMD ["/usr/local/bin/golb", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/golb"]
