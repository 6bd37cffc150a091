-- AlterTable
ALTER TABLE "items" ADD COLUMN     "review_revision" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "review_summary" JSONB;

-- The summary's revision never goes below zero (written by hand: Prisma has no CHECK constraints).
ALTER TABLE "items" ADD CONSTRAINT "items_review_revision_check" CHECK ("review_revision" >= 0);
