-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "stepOverrides" JSONB;

-- AlterTable
ALTER TABLE "Workflow" ADD COLUMN     "maxConcurrentRuns" INTEGER,
ADD COLUMN     "maxRunSeconds" INTEGER;
