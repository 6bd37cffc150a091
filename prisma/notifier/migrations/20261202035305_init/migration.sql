-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "notifications" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "event_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "order_uid" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "total" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "read_at" TIMESTAMPTZ(3),
    "email_sent_at" TIMESTAMPTZ(3),
    "email_attempts" INTEGER NOT NULL DEFAULT 0,
    "email_next_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "email_last_error" TEXT,

    CONSTRAINT "notifications_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "order_contacts" (
    "order_uid" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "locale" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "order_contacts_pkey" PRIMARY KEY ("order_uid")
);

-- CreateIndex
CREATE UNIQUE INDEX "notifications_event_id_key" ON "notifications"("event_id");

-- CreateIndex
CREATE INDEX "notifications_customer_id_created_at_id_idx" ON "notifications"("customer_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "notifications_order_uid_idx" ON "notifications"("order_uid");

-- CreateIndex
CREATE INDEX "notifications_email_sent_at_email_next_at_idx" ON "notifications"("email_sent_at", "email_next_at");

