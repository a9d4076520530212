-- CreateTable
CREATE TABLE "HealthCheck" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "virtualServiceId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "intervalMs" INTEGER NOT NULL,
    "timeoutMs" INTEGER NOT NULL,
    "rise" INTEGER NOT NULL,
    "fall" INTEGER NOT NULL,
    "port" INTEGER,
    "httpPath" TEXT,
    "httpHost" TEXT,
    "httpExpectStatus" TEXT,
    "httpExpectBody" TEXT,
    "httpBodyIsRegex" BOOLEAN NOT NULL DEFAULT false,
    "tlsVerify" BOOLEAN NOT NULL DEFAULT false,
    "execCommand" TEXT,
    "execArgs" TEXT,
    "dnsName" TEXT,
    "dnsType" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "HealthCheck_virtualServiceId_fkey" FOREIGN KEY ("virtualServiceId") REFERENCES "VirtualService" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "RealServerDrain" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "realServerId" TEXT NOT NULL,
    "clusterId" TEXT NOT NULL,
    "startedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "timeoutSeconds" INTEGER NOT NULL DEFAULT 600,
    "startedByName" TEXT NOT NULL,
    CONSTRAINT "RealServerDrain_realServerId_fkey" FOREIGN KEY ("realServerId") REFERENCES "RealServer" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "HealthEvent" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "at" DATETIME NOT NULL,
    "hostId" TEXT NOT NULL,
    "clusterId" TEXT NOT NULL,
    "virtualServiceId" TEXT NOT NULL,
    "realServerId" TEXT,
    "serviceKey" TEXT NOT NULL,
    "destination" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "reason" TEXT NOT NULL DEFAULT '',
    "latencyMs" REAL
);

-- CreateTable
CREATE TABLE "StatsRollup" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "clusterId" TEXT NOT NULL,
    "virtualServiceId" TEXT NOT NULL,
    "subject" TEXT NOT NULL DEFAULT '',
    "bucket" DATETIME NOT NULL,
    "samples" INTEGER NOT NULL,
    "conns" REAL NOT NULL,
    "inpkts" REAL NOT NULL,
    "outpkts" REAL NOT NULL,
    "inbytes" REAL NOT NULL,
    "outbytes" REAL NOT NULL,
    "activeAvg" REAL NOT NULL,
    "activeMax" INTEGER NOT NULL,
    "inactAvg" REAL NOT NULL,
    CONSTRAINT "StatsRollup_virtualServiceId_fkey" FOREIGN KEY ("virtualServiceId") REFERENCES "VirtualService" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_VirtualService" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "clusterId" TEXT NOT NULL,
    "protocol" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "family" TEXT NOT NULL,
    "port" INTEGER,
    "fwmark" INTEGER,
    "markProtocol" TEXT,
    "markPorts" TEXT NOT NULL DEFAULT '',
    "scheduler" TEXT NOT NULL,
    "schedulerFlags" TEXT NOT NULL DEFAULT '',
    "persistenceTimeout" INTEGER,
    "persistenceNetmask" INTEGER,
    "persistenceEngine" TEXT,
    "description" TEXT NOT NULL DEFAULT '',
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "serviceKey" TEXT NOT NULL,
    "sortKey" TEXT NOT NULL,
    "searchText" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "onFailure" TEXT NOT NULL DEFAULT 'QUIESCE',
    "slowStartSeconds" INTEGER NOT NULL DEFAULT 0,
    "sorryAddress" TEXT,
    "sorryPort" INTEGER,
    "sorryForwarding" TEXT,
    CONSTRAINT "VirtualService_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_VirtualService" ("address", "clusterId", "createdAt", "description", "enabled", "family", "fwmark", "id", "markPorts", "markProtocol", "persistenceEngine", "persistenceNetmask", "persistenceTimeout", "port", "protocol", "scheduler", "schedulerFlags", "searchText", "serviceKey", "sortKey", "updatedAt") SELECT "address", "clusterId", "createdAt", "description", "enabled", "family", "fwmark", "id", "markPorts", "markProtocol", "persistenceEngine", "persistenceNetmask", "persistenceTimeout", "port", "protocol", "scheduler", "schedulerFlags", "searchText", "serviceKey", "sortKey", "updatedAt" FROM "VirtualService";
DROP TABLE "VirtualService";
ALTER TABLE "new_VirtualService" RENAME TO "VirtualService";
CREATE INDEX "VirtualService_clusterId_sortKey_idx" ON "VirtualService"("clusterId", "sortKey");
CREATE INDEX "VirtualService_clusterId_protocol_sortKey_idx" ON "VirtualService"("clusterId", "protocol", "sortKey");
CREATE INDEX "VirtualService_address_port_idx" ON "VirtualService"("address", "port");
CREATE UNIQUE INDEX "VirtualService_clusterId_serviceKey_key" ON "VirtualService"("clusterId", "serviceKey");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "HealthCheck_virtualServiceId_key" ON "HealthCheck"("virtualServiceId");

-- CreateIndex
CREATE UNIQUE INDEX "RealServerDrain_realServerId_key" ON "RealServerDrain"("realServerId");

-- CreateIndex
CREATE INDEX "RealServerDrain_clusterId_idx" ON "RealServerDrain"("clusterId");

-- CreateIndex
CREATE INDEX "HealthEvent_virtualServiceId_at_idx" ON "HealthEvent"("virtualServiceId", "at");

-- CreateIndex
CREATE INDEX "HealthEvent_clusterId_at_idx" ON "HealthEvent"("clusterId", "at");

-- CreateIndex
CREATE INDEX "HealthEvent_realServerId_at_idx" ON "HealthEvent"("realServerId", "at");

-- CreateIndex
CREATE INDEX "StatsRollup_clusterId_bucket_idx" ON "StatsRollup"("clusterId", "bucket");

-- CreateIndex
CREATE INDEX "StatsRollup_bucket_idx" ON "StatsRollup"("bucket");

-- CreateIndex
CREATE UNIQUE INDEX "StatsRollup_virtualServiceId_subject_bucket_key" ON "StatsRollup"("virtualServiceId", "subject", "bucket");

