# One image for every service (and the one-shot database migration).
#
#   docker build --build-arg SERVICE=search -t shop/search .
#   docker run --rm -e ELASTICSEARCH_URL=... -e REDIS_URL=... -p 8084:8084 shop/search
#
# The service is chosen by the SERVICE build arg (baked in as ENV SERVICE, overridable at run
# time). The same image applies the Prisma migrations when run as
#   npm run -w @shop/prisma migrate:deploy        (needs DATABASE_URL_SSO and DATABASE_URL_SHOP)
# which is what the `migrate` one-shot in docker-compose.yml does.
# No configuration and no secret is baked in: every address and credential comes from the
# environment at run time (see each service's src/config.ts).

ARG NODE_IMAGE=node:24.11-bookworm-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

# Production dependencies only. The manifests are copied first (root + every workspace) so
# this layer is rebuilt only when a package.json or the lock file changes.
FROM base AS deps
COPY package.json package-lock.json ./
COPY kit/package.json kit/
COPY contracts/package.json contracts/
COPY prisma/package.json prisma/
COPY proxy/package.json proxy/
COPY sso/package.json sso/
COPY item-crud/package.json item-crud/
COPY item-etl/package.json item-etl/
COPY search/package.json search/
COPY facade/package.json facade/
COPY cart/package.json cart/
COPY notifier/package.json notifier/
COPY loms/package.json loms/
COPY orders/package.json orders/
COPY analytics/package.json analytics/
COPY comment-analysis/package.json comment-analysis/
COPY recommendations/package.json recommendations/
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund --loglevel=error

# The sources plus the generated Prisma clients (TypeScript, js engine: no native query engine).
FROM deps AS build
ENV PRISMA_QUERY_ENGINE_LIBRARY=/dev/null
COPY . .
RUN npm run -w @shop/prisma generate

FROM base AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0
ARG SERVICE=
ENV SERVICE=${SERVICE}
COPY --from=build --chown=node:node /app /app
# A typo in SERVICE fails the build, not the container start. (Empty SERVICE is allowed: the
# migrate one-shot overrides the command.)
RUN if [ -n "$SERVICE" ]; then test -f "/app/$SERVICE/src/main.ts" || { echo "no such service: $SERVICE" >&2; exit 1; }; fi
USER node
EXPOSE 8080 8081 8082 8083 8084 8085 8086 8087 8088 8089 8090 8091 8092
# Liveness of whichever service runs: PORT when set, else the service's design port.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const p=process.env.PORT||{proxy:8080,sso:8081,'item-crud':8082,'item-etl':8083,search:8084,facade:8085,cart:8086,loms:8087,orders:8088,notifier:8089,analytics:8090,recommendations:8091,'comment-analysis':8092}[process.env.SERVICE];fetch('http://127.0.0.1:'+p+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# sh -c so that ${SERVICE} is read at run time; exec replaces the shell, so node is PID 1 and
# gets SIGTERM itself (graceful shutdown).
CMD ["sh", "-c", "exec node ${SERVICE}/src/main.ts"]
