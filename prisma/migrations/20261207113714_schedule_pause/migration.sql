-- AlterTable
ALTER TABLE "ScheduleState" ADD COLUMN "pausedAt" DATETIME;
