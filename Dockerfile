# syntax=docker/dockerfile:1
# One image build for the whole monorepo; a target per service:
#   docker build --target delivery -t stagehook/delivery .
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY packages ./packages
COPY apps ./apps
COPY examples ./examples
COPY tsconfig.base.json turbo.json jest.base.js eslint.config.js ./
RUN npm install --no-audit --no-fund && npx turbo run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
USER node

FROM runtime AS workflow
ENV SERVICE_NAME=workflow PORT=3010
EXPOSE 3010
CMD ["node", "apps/workflow/dist/main.js"]

FROM runtime AS items
ENV SERVICE_NAME=items PORT=3020
EXPOSE 3020
CMD ["node", "apps/items/dist/main.js"]

FROM runtime AS webhooks
ENV SERVICE_NAME=webhooks PORT=3030
EXPOSE 3030
CMD ["node", "apps/webhooks/dist/main.js"]

FROM runtime AS delivery
ENV SERVICE_NAME=delivery PORT=3040
EXPOSE 3040
CMD ["node", "apps/delivery/dist/main.js"]

FROM runtime AS console
ENV SERVICE_NAME=console PORT=3000
EXPOSE 3000
CMD ["node", "apps/console/dist/server/main.js"]

FROM runtime AS receiver
ENV PORT=4000
EXPOSE 4000
CMD ["node", "examples/receiver/dist/main.js"]
