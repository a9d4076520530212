-- AlterTable
ALTER TABLE "Host" ADD COLUMN     "agentHostname" TEXT,
ADD COLUMN     "agentVersion" TEXT,
ADD COLUMN     "appliedGeneration" INTEGER,
ADD COLUMN     "desiredGeneration" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "driftCheckedAt" TIMESTAMP(3),
ADD COLUMN     "driftCount" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "kernelInfo" TEXT,
ADD COLUMN     "lastReport" TEXT,
ADD COLUMN     "lastSeenAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "ClusterDirector" ADD COLUMN     "vipInterface" TEXT NOT NULL DEFAULT 'eth0';

-- AlterTable
ALTER TABLE "VirtualService" ADD COLUMN     "markPorts" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "markProtocol" TEXT;

-- CreateTable
CREATE TABLE "EnrollmentToken" (
    "id" TEXT NOT NULL,
    "hostId" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EnrollmentToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AgentCredential" (
    "id" TEXT NOT NULL,
    "hostId" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "AgentCredential_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Revision" (
    "id" TEXT NOT NULL,
    "clusterId" TEXT NOT NULL,
    "number" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "rolledBackToNumber" INTEGER,
    "note" TEXT NOT NULL DEFAULT '',
    "snapshot" TEXT NOT NULL,
    "draftHash" TEXT NOT NULL,
    "createdById" TEXT,
    "createdByName" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Revision_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "HostDeployment" (
    "id" TEXT NOT NULL,
    "revisionId" TEXT NOT NULL,
    "hostId" TEXT NOT NULL,
    "generation" INTEGER NOT NULL,
    "desiredState" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "error" TEXT,
    "results" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "HostDeployment_pkey" PRIMARY KEY ("id")
);

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

-- AddForeignKey
ALTER TABLE "EnrollmentToken" ADD CONSTRAINT "EnrollmentToken_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AgentCredential" ADD CONSTRAINT "AgentCredential_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Revision" ADD CONSTRAINT "Revision_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HostDeployment" ADD CONSTRAINT "HostDeployment_revisionId_fkey" FOREIGN KEY ("revisionId") REFERENCES "Revision"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HostDeployment" ADD CONSTRAINT "HostDeployment_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;

