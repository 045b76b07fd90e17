# syntax=docker/dockerfile:1
# One image for every process; the command picks which:
#   node apps/worker/dist/main.js        (default) a worker replica
#   node packages/db/dist/migrate-cli.js create and migrate the database, then exit
# Build: docker build -t revos-worker-fleet .

# Node 24 LTS (Node 20 left support in April 2026). package.json's engines still admit 20.11+, and CI
# runs the suite on both (.ci/run).
FROM node:24-bookworm-slim AS base
WORKDIR /app

# Only the lockfile and every workspace's package.json, at their paths: the npm ci layers below are
# rebuilt when dependencies change, not on every source edit.
FROM base AS manifests
COPY . /src
RUN cd /src && mkdir /manifests \
 && find . -name package.json -not -path '*/node_modules/*' -exec cp --parents {} /manifests \; \
 && cp package-lock.json /manifests/

# Compile every workspace with the full (dev) toolchain; collect only what production runs.
FROM base AS build
COPY --from=manifests /manifests/ ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && mkdir /out \
 && cp -r --parents packages/*/dist apps/*/dist packages/db/drizzle /out/

# Production dependencies only, the built JS and the committed migrations; no TypeScript source.
FROM base AS runtime
ENV NODE_ENV=production
COPY --from=manifests /manifests/ ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /out/ ./
USER node
CMD ["node", "apps/worker/dist/main.js"]
