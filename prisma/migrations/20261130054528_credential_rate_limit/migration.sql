-- AlterTable
ALTER TABLE "Credential" ADD COLUMN "rateCapacity" INTEGER;
ALTER TABLE "Credential" ADD COLUMN "rateRefillPerSecond" REAL;
ALTER TABLE "Credential" ADD COLUMN "rateTokens" REAL;
ALTER TABLE "Credential" ADD COLUMN "rateAt" REAL;
ALTER TABLE "Credential" ADD COLUMN "rateVersion" INTEGER NOT NULL DEFAULT 0;
