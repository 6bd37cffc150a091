-- CreateEnum
CREATE TYPE "ReservationState" AS ENUM ('held', 'committed', 'released');

-- AlterTable: article numbers from a sequence (what SERIAL makes), existing items numbered in creation order.
CREATE SEQUENCE "items_article_seq" AS INTEGER;
ALTER TABLE "items" ADD COLUMN     "article" INTEGER,
ADD COLUMN     "reserved" INTEGER NOT NULL DEFAULT 0;
UPDATE "items" SET "article" = numbered.n
  FROM (SELECT "id", nextval('items_article_seq') AS n FROM (SELECT "id" FROM "items" ORDER BY "created_at", "id") ordered) numbered
 WHERE "items"."id" = numbered."id";
ALTER TABLE "items" ALTER COLUMN "article" SET DEFAULT nextval('items_article_seq'),
  ALTER COLUMN "article" SET NOT NULL;
ALTER SEQUENCE "items_article_seq" OWNED BY "items"."article";

-- CreateTable
CREATE TABLE "reservations" (
    "order_uid" VARCHAR(64) NOT NULL,
    "item_id" UUID NOT NULL,
    "quantity" INTEGER NOT NULL,
    "price" DECIMAL(14,2) NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "state" "ReservationState" NOT NULL DEFAULT 'held',
    "release_reason" TEXT,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "committed_at" TIMESTAMPTZ(3),
    "released_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "reservations_pkey" PRIMARY KEY ("order_uid","item_id")
);

-- CreateIndex
CREATE INDEX "reservations_state_expires_at_idx" ON "reservations"("state", "expires_at");

-- CreateIndex
CREATE INDEX "reservations_item_id_idx" ON "reservations"("item_id");

-- CreateIndex
CREATE UNIQUE INDEX "items_article_key" ON "items"("article");

-- AddForeignKey
ALTER TABLE "reservations" ADD CONSTRAINT "reservations_item_id_fkey" FOREIGN KEY ("item_id") REFERENCES "items"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- Invariants the reservation code keeps, enforced by the database too (a datamodel diff ignores CHECKs).
-- Held units never exceed the stock and never go negative, and a reservation holds at least one unit.
ALTER TABLE "items" ADD CONSTRAINT "items_reserved_check" CHECK ("reserved" >= 0 AND "reserved" <= "stock");
ALTER TABLE "items" ADD CONSTRAINT "items_article_check" CHECK ("article" > 0);
ALTER TABLE "reservations" ADD CONSTRAINT "reservations_quantity_check" CHECK ("quantity" > 0);
ALTER TABLE "reservations" ADD CONSTRAINT "reservations_release_check"
  CHECK (("state" = 'released') = ("release_reason" IS NOT NULL)
         AND "release_reason" IN ('released', 'expired', 'restocked'));
