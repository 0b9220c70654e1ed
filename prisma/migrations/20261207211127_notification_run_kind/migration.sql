-- CreateIndex
CREATE INDEX "Notification_runId_kind_idx" ON "Notification"("runId", "kind");
