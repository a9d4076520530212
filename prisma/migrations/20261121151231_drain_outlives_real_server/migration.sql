-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_RealServerDrain" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "realServerId" TEXT NOT NULL,
    "clusterId" TEXT NOT NULL,
    "startedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "timeoutSeconds" INTEGER NOT NULL DEFAULT 600,
    "startedByName" TEXT NOT NULL
);
INSERT INTO "new_RealServerDrain" ("clusterId", "id", "realServerId", "startedAt", "startedByName", "timeoutSeconds") SELECT "clusterId", "id", "realServerId", "startedAt", "startedByName", "timeoutSeconds" FROM "RealServerDrain";
DROP TABLE "RealServerDrain";
ALTER TABLE "new_RealServerDrain" RENAME TO "RealServerDrain";
CREATE UNIQUE INDEX "RealServerDrain_realServerId_key" ON "RealServerDrain"("realServerId");
CREATE INDEX "RealServerDrain_clusterId_idx" ON "RealServerDrain"("clusterId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

