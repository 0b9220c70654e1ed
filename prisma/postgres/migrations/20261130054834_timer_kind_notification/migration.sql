-- AlterEnum
ALTER TYPE "TimerKind" ADD VALUE 'notification';
