-- CreateTable
CREATE TABLE "checkouts" (
    "order_uid" TEXT NOT NULL,
    "customer_id" UUID NOT NULL,
    "idempotency_key" TEXT,
    "state" TEXT NOT NULL,
    "cart_version" INTEGER NOT NULL,
    "delivery" JSONB NOT NULL,
    "card_last4" CHAR(4) NOT NULL,
    "lines" JSONB,
    "outcome" TEXT,
    "request_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "checkouts_pkey" PRIMARY KEY ("order_uid")
);

-- CreateIndex
CREATE INDEX "checkouts_state_updated_at_idx" ON "checkouts"("state", "updated_at");

