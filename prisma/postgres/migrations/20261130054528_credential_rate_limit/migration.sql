-- AlterTable
ALTER TABLE "Credential" ADD COLUMN     "rateAt" DOUBLE PRECISION,
ADD COLUMN     "rateCapacity" INTEGER,
ADD COLUMN     "rateRefillPerSecond" DOUBLE PRECISION,
ADD COLUMN     "rateTokens" DOUBLE PRECISION,
ADD COLUMN     "rateVersion" INTEGER NOT NULL DEFAULT 0;
