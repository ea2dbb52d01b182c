# golb as one self-contained executable on a slim Debian base.
# The steps are the project's own commands: `npm ci` (the lock file holds every
# platform's optional packages, so it installs on amd64 and arm64 alike), then `npm run build`
# (bun build --compile), the same build tests/e2e/binary.test.ts runs and then
# starts from an empty directory.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

FROM debian:bookworm-slim
COPY --from=build /src/dist/golb /usr/local/bin/golb
# The embedded source reads weights.json from the working directory unless
# eb_go_lb_weights_file says otherwise; mount it here.
WORKDIR /etc/golb
USER nobody
EXPOSE 8080
ENV eb_go_lb_mode=prod
ENTRYPOINT ["/usr/local/bin/golb"]
