-- CreateTable
CREATE TABLE "item_review_summaries" (
    "item_id" UUID NOT NULL,
    "revision" BIGINT NOT NULL,
    "reviews" INTEGER NOT NULL,
    "positive" INTEGER NOT NULL,
    "neutral" INTEGER NOT NULL,
    "negative" INTEGER NOT NULL,
    "score" DOUBLE PRECISION NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "item_review_summaries_pkey" PRIMARY KEY ("item_id")
);

-- CreateTable
CREATE TABLE "item_review_aspects" (
    "item_id" UUID NOT NULL,
    "aspect" TEXT NOT NULL,
    "mentions" INTEGER NOT NULL,
    "positive" INTEGER NOT NULL,
    "negative" INTEGER NOT NULL,

    CONSTRAINT "item_review_aspects_pkey" PRIMARY KEY ("item_id","aspect")
);

-- CreateIndex
CREATE INDEX "item_review_aspects_aspect_idx" ON "item_review_aspects"("aspect");

-- AddForeignKey
ALTER TABLE "item_review_aspects" ADD CONSTRAINT "item_review_aspects_item_id_fkey" FOREIGN KEY ("item_id") REFERENCES "item_review_summaries"("item_id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Invariants the consumer checks before it writes (a summary breaking one is dead-lettered, never retried for ever),
-- enforced by the database too. Written by hand: a datamodel diff does not carry CHECKs. (No semicolons in these
-- comments: the driver adapter splits a migration at every one.)
ALTER TABLE "item_review_summaries" ADD CONSTRAINT "item_review_summaries_counts_check"
  CHECK ("revision" >= 1 AND "reviews" >= 0 AND "positive" >= 0 AND "neutral" >= 0 AND "negative" >= 0 AND "reviews" = "positive" + "neutral" + "negative");
ALTER TABLE "item_review_summaries" ADD CONSTRAINT "item_review_summaries_score_check" CHECK ("score" BETWEEN -1 AND 1);
ALTER TABLE "item_review_aspects" ADD CONSTRAINT "item_review_aspects_counts_check"
  CHECK ("mentions" >= 0 AND "positive" >= 0 AND "negative" >= 0 AND "positive" + "negative" <= "mentions");
ALTER TABLE "item_review_aspects" ADD CONSTRAINT "item_review_aspects_aspect_check" CHECK ("aspect" ~ '^[a-z][a-z0-9_-]{0,39}$');

-- The most criticized aspects per category over the items' current review summaries (written by hand: Prisma's
-- schema has no views). Items not (yet) known from item-events are under category NULL, deleted items are left out.
-- negative_share = negative / (positive + negative), NULL without polar mentions.
CREATE VIEW "review_aspects_by_category" AS
  SELECT i."category", a."aspect", count(*)::int AS "items", sum(a."mentions") AS "mentions", sum(a."positive") AS "positive",
         sum(a."negative") AS "negative",
         round(sum(a."negative")::numeric / nullif(sum(a."positive") + sum(a."negative"), 0), 4) AS "negative_share"
  FROM "item_review_aspects" a LEFT JOIN "items" i ON i."item_id" = a."item_id"
  WHERE i."deleted" IS NOT TRUE
  GROUP BY i."category", a."aspect";

-- Grafana's read-only role reads them (the first migration's default privileges cover tables this role creates,
-- granted explicitly as well, the way that migration does).
GRANT SELECT ON "item_review_summaries", "item_review_aspects", "review_aspects_by_category" TO "analytics_reader";
