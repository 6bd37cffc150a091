-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "orders" (
    "id" BIGSERIAL NOT NULL,
    "order_uid" VARCHAR(64) NOT NULL,
    "track_number" VARCHAR(64) NOT NULL,
    "entry" VARCHAR(64) NOT NULL,
    "locale" VARCHAR(16) NOT NULL,
    "internal_signature" VARCHAR(256) NOT NULL,
    "customer_id" VARCHAR(64) NOT NULL,
    "delivery_service" VARCHAR(64) NOT NULL,
    "shardkey" VARCHAR(16) NOT NULL,
    "sm_id" INTEGER NOT NULL,
    "date_created" VARCHAR(40) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "oof_shard" VARCHAR(16) NOT NULL,
    "content_sha256" CHAR(64) NOT NULL,
    "source_partition" INTEGER NOT NULL,
    "source_offset" BIGINT NOT NULL,
    "ingested_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "orders_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "deliveries" (
    "order_id" BIGINT NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "phone" VARCHAR(16) NOT NULL,
    "zip" VARCHAR(20) NOT NULL,
    "city" VARCHAR(200) NOT NULL,
    "address" VARCHAR(500) NOT NULL,
    "region" VARCHAR(200) NOT NULL,
    "email" VARCHAR(254) NOT NULL,

    CONSTRAINT "deliveries_pkey" PRIMARY KEY ("order_id")
);

-- CreateTable
CREATE TABLE "payments" (
    "order_id" BIGINT NOT NULL,
    "transaction" VARCHAR(64) NOT NULL,
    "request_id" VARCHAR(64) NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "provider" VARCHAR(64) NOT NULL,
    "amount" BIGINT NOT NULL,
    "payment_dt" BIGINT NOT NULL,
    "bank" VARCHAR(64) NOT NULL,
    "delivery_cost" BIGINT NOT NULL,
    "goods_total" BIGINT NOT NULL,
    "custom_fee" BIGINT NOT NULL,

    CONSTRAINT "payments_pkey" PRIMARY KEY ("order_id")
);

-- CreateTable
CREATE TABLE "order_items" (
    "order_id" BIGINT NOT NULL,
    "position" INTEGER NOT NULL,
    "chrt_id" BIGINT NOT NULL,
    "track_number" VARCHAR(64) NOT NULL,
    "price" BIGINT NOT NULL,
    "rid" VARCHAR(64) NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "sale" INTEGER NOT NULL,
    "size" VARCHAR(32) NOT NULL,
    "total_price" BIGINT NOT NULL,
    "nm_id" BIGINT NOT NULL,
    "brand" VARCHAR(200) NOT NULL,
    "status" INTEGER NOT NULL,

    CONSTRAINT "order_items_pkey" PRIMARY KEY ("order_id","position")
);

-- CreateTable
CREATE TABLE "order_statuses" (
    "order_uid" VARCHAR(64) NOT NULL,
    "customer_id" VARCHAR(64) NOT NULL,
    "status" VARCHAR(32) NOT NULL,
    "version" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "order_statuses_pkey" PRIMARY KEY ("order_uid")
);

-- CreateTable
CREATE TABLE "order_status_events" (
    "event_id" UUID NOT NULL,
    "order_uid" VARCHAR(64) NOT NULL,
    "type" VARCHAR(40) NOT NULL,
    "status" VARCHAR(32) NOT NULL,
    "version" INTEGER NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "order_status_events_pkey" PRIMARY KEY ("event_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "orders_order_uid_key" ON "orders"("order_uid");

-- CreateIndex
CREATE INDEX "orders_customer_id_created_at_idx" ON "orders"("customer_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "orders_created_at_idx" ON "orders"("created_at" DESC);

-- CreateIndex
CREATE INDEX "order_status_events_order_uid_version_idx" ON "order_status_events"("order_uid", "version");

-- AddForeignKey
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "payments" ADD CONSTRAINT "payments_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "order_items" ADD CONSTRAINT "order_items_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Invariants the service checks before it writes, enforced by the database too (a datamodel diff ignores
-- CHECKs and triggers, so they live only in this migration).
ALTER TABLE "orders" ADD CONSTRAINT "orders_order_uid_check" CHECK (length("order_uid") BETWEEN 1 AND 64);
ALTER TABLE "orders" ADD CONSTRAINT "orders_content_sha256_check" CHECK ("content_sha256" ~ '^[0-9a-f]{64}$');
ALTER TABLE "orders" ADD CONSTRAINT "orders_source_check" CHECK ("source_partition" >= 0 AND "source_offset" >= 0);
ALTER TABLE "payments" ADD CONSTRAINT "payments_amounts_check"
  CHECK ("amount" >= 0 AND "delivery_cost" >= 0 AND "goods_total" >= 0 AND "custom_fee" >= 0 AND "payment_dt" >= 0);
ALTER TABLE "payments" ADD CONSTRAINT "payments_amount_sum_check" CHECK ("amount" = "goods_total" + "delivery_cost" + "custom_fee");
ALTER TABLE "payments" ADD CONSTRAINT "payments_currency_check" CHECK ("currency" ~ '^[A-Z]{3}$');
ALTER TABLE "order_items" ADD CONSTRAINT "order_items_amounts_check" CHECK ("price" >= 0 AND "total_price" >= 0 AND "total_price" <= "price");
ALTER TABLE "order_items" ADD CONSTRAINT "order_items_sale_check" CHECK ("sale" BETWEEN 0 AND 100);
ALTER TABLE "order_items" ADD CONSTRAINT "order_items_position_check" CHECK ("position" BETWEEN 0 AND 99);
ALTER TABLE "order_statuses" ADD CONSTRAINT "order_statuses_version_check" CHECK ("version" >= 1);
ALTER TABLE "order_status_events" ADD CONSTRAINT "order_status_events_version_check" CHECK ("version" >= 1);

