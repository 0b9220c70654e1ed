-- AlterTable
ALTER TABLE "ScheduleState" ADD COLUMN     "pausedAt" TIMESTAMP(3);
