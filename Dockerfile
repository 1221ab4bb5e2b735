# syntax=docker/dockerfile:1
# One image for the API (the default command) and the worker (`npm run worker`). TypeScript runs
# through tsx as in development, so there is no dist/ to drift from the source (the one built file, the
# workers' workflow bundle, is stamped with its sources and rebuilt by a worker that finds it stale).

# --- deps: production node_modules, native parts (Temporal core bridge, @swc/core) for this platform
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# What npm ci's postinstall runs: the repair of the postgres driver.
COPY scripts/patch-postgres-driver.ts scripts/
COPY lib/postgres-driver-patch.ts lib/
# The image's bundled npm 10 runs every dependency install script; package.json's allowScripts is
# read by npm 11 only. None of the scripts it leaves unapproved is needed at run time.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund

# --- runtime
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# Everything not excluded by .dockerignore. Files stay owned by root: the process can read its
# code but not rewrite it.
COPY . .
# The workers' workflow code, bundled once into the image, without and with tracing: a worker (and
# each restart) loads its bundle instead of bundling for ~2 s, and only while its stamp matches the
# sources copied above.
ENV WORKFLOW_BUNDLE_PATH=/app/workflow-bundle.js
RUN npm run bundle
USER node
EXPOSE 3000
# No curl in the slim image, so node probes /health itself. 127.0.0.1 works while HOST is 0.0.0.0
# or 127.0.0.1; /health answers 503 until both Temporal and PostgreSQL do.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["npm", "run", "api"]
