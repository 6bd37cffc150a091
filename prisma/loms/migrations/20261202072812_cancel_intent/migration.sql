-- AlterTable
ALTER TABLE "orders" ADD COLUMN     "cancel_requested_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "orders_cancel_requested_at_idx" ON "orders"("cancel_requested_at");

