-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "comment_analyses" (
    "comment_id" UUID NOT NULL,
    "item_id" UUID NOT NULL,
    "author_id" UUID NOT NULL,
    "rating" INTEGER NOT NULL,
    "text" TEXT NOT NULL,
    "language" TEXT NOT NULL,
    "sentiment" TEXT NOT NULL,
    "score" REAL NOT NULL,
    "aspects" JSONB NOT NULL,
    "flags" TEXT[],
    "analyzer_version" TEXT NOT NULL,
    "item_version" INTEGER NOT NULL,
    "event_id" UUID NOT NULL,
    "changed_at" TIMESTAMPTZ(3) NOT NULL,
    "analyzed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "comment_analyses_pkey" PRIMARY KEY ("comment_id")
);

-- CreateTable
CREATE TABLE "item_review_summaries" (
    "item_id" UUID NOT NULL,
    "count" INTEGER NOT NULL,
    "positive" INTEGER NOT NULL,
    "neutral" INTEGER NOT NULL,
    "negative" INTEGER NOT NULL,
    "score" REAL NOT NULL,
    "aspects" JSONB NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "item_review_summaries_pkey" PRIMARY KEY ("item_id")
);

-- CreateIndex
CREATE INDEX "comment_analyses_item_id_idx" ON "comment_analyses"("item_id");

-- CreateIndex
CREATE INDEX "comment_analyses_analyzer_version_idx" ON "comment_analyses"("analyzer_version");

