-- CreateTable
CREATE TABLE "EnrollmentToken" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "hostId" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "usedAt" DATETIME,
    "createdById" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "EnrollmentToken_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "AgentCredential" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "hostId" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" DATETIME,
    "revokedAt" DATETIME,
    CONSTRAINT "AgentCredential_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Revision" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "clusterId" TEXT NOT NULL,
    "number" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "rolledBackToNumber" INTEGER,
    "note" TEXT NOT NULL DEFAULT '',
    "snapshot" TEXT NOT NULL,
    "draftHash" TEXT NOT NULL,
    "createdById" TEXT,
    "createdByName" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Revision_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "HostDeployment" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "revisionId" TEXT NOT NULL,
    "hostId" TEXT NOT NULL,
    "generation" INTEGER NOT NULL,
    "desiredState" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "error" TEXT,
    "results" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME,
    CONSTRAINT "HostDeployment_revisionId_fkey" FOREIGN KEY ("revisionId") REFERENCES "Revision" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "HostDeployment_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Host" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "managementAddress" TEXT NOT NULL,
    "interfaces" TEXT NOT NULL DEFAULT '[]',
    "labels" TEXT NOT NULL DEFAULT '{}',
    "description" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "agentVersion" TEXT,
    "agentHostname" TEXT,
    "kernelInfo" TEXT,
    "lastSeenAt" DATETIME,
    "desiredGeneration" INTEGER NOT NULL DEFAULT 0,
    "appliedGeneration" INTEGER,
    "lastReport" TEXT,
    "driftCount" INTEGER NOT NULL DEFAULT 0,
    "driftCheckedAt" DATETIME
);
INSERT INTO "new_Host" ("createdAt", "description", "id", "interfaces", "labels", "managementAddress", "name", "updatedAt") SELECT "createdAt", "description", "id", "interfaces", "labels", "managementAddress", "name", "updatedAt" FROM "Host";
DROP TABLE "Host";
ALTER TABLE "new_Host" RENAME TO "Host";
CREATE UNIQUE INDEX "Host_name_key" ON "Host"("name");
CREATE TABLE "new_ClusterDirector" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "clusterId" TEXT NOT NULL,
    "hostId" TEXT NOT NULL,
    "priority" INTEGER NOT NULL DEFAULT 100,
    "vipInterface" TEXT NOT NULL DEFAULT 'eth0',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ClusterDirector_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ClusterDirector_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_ClusterDirector" ("clusterId", "createdAt", "hostId", "id", "priority") SELECT "clusterId", "createdAt", "hostId", "id", "priority" FROM "ClusterDirector";
DROP TABLE "ClusterDirector";
ALTER TABLE "new_ClusterDirector" RENAME TO "ClusterDirector";
CREATE INDEX "ClusterDirector_hostId_idx" ON "ClusterDirector"("hostId");
CREATE UNIQUE INDEX "ClusterDirector_clusterId_hostId_key" ON "ClusterDirector"("clusterId", "hostId");
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
    CONSTRAINT "VirtualService_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_VirtualService" ("address", "clusterId", "createdAt", "description", "enabled", "family", "fwmark", "id", "persistenceEngine", "persistenceNetmask", "persistenceTimeout", "port", "protocol", "scheduler", "schedulerFlags", "searchText", "serviceKey", "sortKey", "updatedAt") SELECT "address", "clusterId", "createdAt", "description", "enabled", "family", "fwmark", "id", "persistenceEngine", "persistenceNetmask", "persistenceTimeout", "port", "protocol", "scheduler", "schedulerFlags", "searchText", "serviceKey", "sortKey", "updatedAt" FROM "VirtualService";
DROP TABLE "VirtualService";
ALTER TABLE "new_VirtualService" RENAME TO "VirtualService";
CREATE INDEX "VirtualService_clusterId_sortKey_idx" ON "VirtualService"("clusterId", "sortKey");
CREATE INDEX "VirtualService_clusterId_protocol_sortKey_idx" ON "VirtualService"("clusterId", "protocol", "sortKey");
CREATE INDEX "VirtualService_address_port_idx" ON "VirtualService"("address", "port");
CREATE UNIQUE INDEX "VirtualService_clusterId_serviceKey_key" ON "VirtualService"("clusterId", "serviceKey");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "EnrollmentToken_tokenHash_key" ON "EnrollmentToken"("tokenHash");

-- CreateIndex
CREATE INDEX "EnrollmentToken_hostId_idx" ON "EnrollmentToken"("hostId");

-- CreateIndex
CREATE UNIQUE INDEX "AgentCredential_tokenHash_key" ON "AgentCredential"("tokenHash");

-- CreateIndex
CREATE INDEX "AgentCredential_hostId_idx" ON "AgentCredential"("hostId");

-- CreateIndex
CREATE UNIQUE INDEX "Revision_clusterId_number_key" ON "Revision"("clusterId", "number");

-- CreateIndex
CREATE INDEX "HostDeployment_revisionId_idx" ON "HostDeployment"("revisionId");

-- CreateIndex
CREATE UNIQUE INDEX "HostDeployment_hostId_generation_key" ON "HostDeployment"("hostId", "generation");

