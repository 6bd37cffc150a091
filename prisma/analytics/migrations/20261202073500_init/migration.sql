-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "events" (
    "event_id" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "anonymous_id" TEXT,
    "user_id" UUID,
    "session_id" TEXT,
    "item_id" UUID,
    "query_id" UUID,
    "position" INTEGER,
    "query" TEXT,
    "results" INTEGER,
    "quantity" INTEGER,
    "value" DECIMAL(14,2),
    "currency" CHAR(3),
    "order_uid" TEXT,
    "path" TEXT,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "events_pkey" PRIMARY KEY ("event_id")
);

-- CreateTable
CREATE TABLE "searches" (
    "query_id" UUID NOT NULL,
    "query" TEXT NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "results" INTEGER NOT NULL,
    "user_id" UUID,
    "anonymous_id" TEXT,
    "clicks" INTEGER NOT NULL DEFAULT 0,
    "converted_at" TIMESTAMPTZ(3),

    CONSTRAINT "searches_pkey" PRIMARY KEY ("query_id")
);

-- CreateTable
CREATE TABLE "items" (
    "item_id" UUID NOT NULL,
    "seller_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "items_pkey" PRIMARY KEY ("item_id")
);

-- CreateTable
CREATE TABLE "item_hourly" (
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "item_id" UUID NOT NULL,
    "views" INTEGER NOT NULL DEFAULT 0,
    "carts" INTEGER NOT NULL DEFAULT 0,
    "cart_removals" INTEGER NOT NULL DEFAULT 0,
    "purchases" INTEGER NOT NULL DEFAULT 0,
    "revenue" DECIMAL(16,2) NOT NULL DEFAULT 0,

    CONSTRAINT "item_hourly_pkey" PRIMARY KEY ("hour","item_id")
);

-- CreateTable
CREATE TABLE "query_hourly" (
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "query" TEXT NOT NULL,
    "searches" INTEGER NOT NULL DEFAULT 0,
    "no_results" INTEGER NOT NULL DEFAULT 0,
    "clicked_searches" INTEGER NOT NULL DEFAULT 0,
    "clicks" INTEGER NOT NULL DEFAULT 0,
    "position_sum" INTEGER NOT NULL DEFAULT 0,
    "converted_searches" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "query_hourly_pkey" PRIMARY KEY ("hour","query")
);

-- CreateTable
CREATE TABLE "site_hourly" (
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "registrations" INTEGER NOT NULL DEFAULT 0,
    "orders" INTEGER NOT NULL DEFAULT 0,
    "revenue" DECIMAL(16,2) NOT NULL DEFAULT 0,
    "page_views" INTEGER NOT NULL DEFAULT 0,
    "product_views" INTEGER NOT NULL DEFAULT 0,
    "searches" INTEGER NOT NULL DEFAULT 0,
    "events" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "site_hourly_pkey" PRIMARY KEY ("hour")
);

-- CreateTable
CREATE TABLE "active_hourly" (
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "actor" TEXT NOT NULL,

    CONSTRAINT "active_hourly_pkey" PRIMARY KEY ("hour","actor")
);

-- CreateTable
CREATE TABLE "query_actor_daily" (
    "day" DATE NOT NULL,
    "query" TEXT NOT NULL,
    "actor" TEXT NOT NULL,

    CONSTRAINT "query_actor_daily_pkey" PRIMARY KEY ("day","query","actor")
);

-- CreateTable
CREATE TABLE "outbox" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "headers" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "events_type_occurred_at_idx" ON "events"("type", "occurred_at");

-- CreateIndex
CREATE INDEX "events_query_id_idx" ON "events"("query_id");

-- CreateIndex
CREATE INDEX "events_user_id_occurred_at_idx" ON "events"("user_id", "occurred_at");

-- CreateIndex
CREATE INDEX "searches_user_id_occurred_at_idx" ON "searches"("user_id", "occurred_at");

-- CreateIndex
CREATE INDEX "searches_anonymous_id_occurred_at_idx" ON "searches"("anonymous_id", "occurred_at");

-- CreateIndex
CREATE INDEX "items_seller_id_idx" ON "items"("seller_id");

-- CreateIndex
CREATE INDEX "items_category_idx" ON "items"("category");

-- CreateIndex
CREATE INDEX "item_hourly_item_id_hour_idx" ON "item_hourly"("item_id", "hour");

-- CreateIndex
CREATE INDEX "query_actor_daily_query_day_idx" ON "query_actor_daily"("query", "day");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_event_id_key" ON "outbox"("event_id");

-- CreateIndex
CREATE INDEX "outbox_published_at_id_idx" ON "outbox"("published_at", "id");


-- Daily views over the hourly aggregates (UTC days). Written by hand: Prisma's schema has no views.
CREATE VIEW "item_daily" AS
  SELECT ("hour" AT TIME ZONE 'UTC')::date AS "day", "item_id", sum("views")::int AS "views", sum("carts")::int AS "carts",
         sum("cart_removals")::int AS "cart_removals", sum("purchases")::int AS "purchases", sum("revenue") AS "revenue"
  FROM "item_hourly" GROUP BY 1, 2;

CREATE VIEW "query_daily" AS
  SELECT ("hour" AT TIME ZONE 'UTC')::date AS "day", "query", sum("searches")::int AS "searches", sum("no_results")::int AS "no_results",
         sum("clicked_searches")::int AS "clicked_searches", sum("clicks")::int AS "clicks", sum("position_sum")::int AS "position_sum",
         sum("converted_searches")::int AS "converted_searches"
  FROM "query_hourly" GROUP BY 1, 2;

CREATE VIEW "site_daily" AS
  SELECT ("hour" AT TIME ZONE 'UTC')::date AS "day", sum("registrations")::int AS "registrations", sum("orders")::int AS "orders",
         sum("revenue") AS "revenue", sum("page_views")::int AS "page_views", sum("product_views")::int AS "product_views",
         sum("searches")::int AS "searches", sum("events")::int AS "events"
  FROM "site_hourly" GROUP BY 1;

CREATE VIEW "active_daily" AS
  SELECT ("hour" AT TIME ZONE 'UTC')::date AS "day", count(DISTINCT "actor")::int AS "active",
         count(DISTINCT "actor") FILTER (WHERE "actor" LIKE 'u:%')::int AS "active_users"
  FROM "active_hourly" GROUP BY 1;

-- Grafana's read-only role `analytics_reader` (created by the Postgres bootstrap: infra/postgres.sh and
-- infra/compose/postgres-init.sql): it may connect to this database and read its tables and views, nothing else.
-- (Plain statements: the driver adapter splits a migration at semicolons, so no DO blocks.)
REVOKE ALL ON DATABASE "analytics" FROM PUBLIC;
GRANT CONNECT ON DATABASE "analytics" TO "analytics_reader";
GRANT USAGE ON SCHEMA public TO "analytics_reader";
GRANT SELECT ON ALL TABLES IN SCHEMA public TO "analytics_reader";
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO "analytics_reader";
