-- Invariants item-crud keeps in code, enforced by the database too. The Prisma schema cannot express
-- CHECK constraints and a datamodel diff ignores them, so they live only in this migration.

-- A review is 1..5 whole stars.
ALTER TABLE "comments" ADD CONSTRAINT "comments_rating_check" CHECK ("rating" BETWEEN 1 AND 5);

-- The rating aggregate moves by SQL increments with every review change: it can never leave the range
-- its reviews allow (a double decrement or a lost increment fails the transaction instead).
ALTER TABLE "items" ADD CONSTRAINT "items_rating_check"
  CHECK ("rating_count" >= 0 AND "rating_sum" BETWEEN "rating_count" AND 5 * "rating_count");

-- Image metadata as the upload path writes it.
ALTER TABLE "item_images" ADD CONSTRAINT "item_images_metadata_check"
  CHECK ("position" >= 0 AND "size" > 0 AND "width" > 0 AND "height" > 0
         AND "content_type" IN ('image/jpeg', 'image/png', 'image/webp'));
