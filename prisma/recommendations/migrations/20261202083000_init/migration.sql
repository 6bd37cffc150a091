-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "items" (
    "id" UUID NOT NULL,
    "article" INTEGER,
    "name" TEXT NOT NULL,
    "brand" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "price" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "image_key" TEXT,
    "status" TEXT NOT NULL,
    "stock" INTEGER NOT NULL,
    "version" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "items_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "popularity" (
    "item_id" UUID NOT NULL,
    "score" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "popularity_pkey" PRIMARY KEY ("item_id")
);

-- CreateTable
CREATE TABLE "sessions" (
    "key" TEXT NOT NULL,
    "items" UUID[],
    "last_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sessions_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "item_counts" (
    "item_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "count" INTEGER NOT NULL,

    CONSTRAINT "item_counts_pkey" PRIMARY KEY ("item_id","kind")
);

-- CreateTable
CREATE TABLE "co_counts" (
    "item_id" UUID NOT NULL,
    "other_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "count" INTEGER NOT NULL,

    CONSTRAINT "co_counts_pkey" PRIMARY KEY ("item_id","kind","other_id")
);

-- CreateTable
CREATE TABLE "interactions" (
    "id" BIGSERIAL NOT NULL,
    "actor" TEXT NOT NULL,
    "item_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "session" TEXT,
    "order_uid" TEXT,

    CONSTRAINT "interactions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "seen" (
    "key" TEXT NOT NULL,
    "seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "seen_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "items_category_idx" ON "items"("category");

-- CreateIndex
CREATE INDEX "popularity_score_idx" ON "popularity"("score" DESC);

-- CreateIndex
CREATE INDEX "sessions_last_at_idx" ON "sessions"("last_at");

-- CreateIndex
CREATE INDEX "interactions_actor_at_idx" ON "interactions"("actor", "at" DESC);

-- CreateIndex
CREATE INDEX "interactions_at_idx" ON "interactions"("at");

-- CreateIndex
CREATE INDEX "seen_seen_at_idx" ON "seen"("seen_at");

