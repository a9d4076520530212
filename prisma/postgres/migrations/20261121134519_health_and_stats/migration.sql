-- AlterTable
ALTER TABLE "VirtualService" ADD COLUMN     "onFailure" TEXT NOT NULL DEFAULT 'QUIESCE',
ADD COLUMN     "slowStartSeconds" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "sorryAddress" TEXT,
ADD COLUMN     "sorryForwarding" TEXT,
ADD COLUMN     "sorryPort" INTEGER;

-- CreateTable
CREATE TABLE "HealthCheck" (
    "id" TEXT NOT NULL,
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
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "HealthCheck_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RealServerDrain" (
    "id" TEXT NOT NULL,
    "realServerId" TEXT NOT NULL,
    "clusterId" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "timeoutSeconds" INTEGER NOT NULL DEFAULT 600,
    "startedByName" TEXT NOT NULL,

    CONSTRAINT "RealServerDrain_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "HealthEvent" (
    "id" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "hostId" TEXT NOT NULL,
    "clusterId" TEXT NOT NULL,
    "virtualServiceId" TEXT NOT NULL,
    "realServerId" TEXT,
    "serviceKey" TEXT NOT NULL,
    "destination" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "reason" TEXT NOT NULL DEFAULT '',
    "latencyMs" DOUBLE PRECISION,

    CONSTRAINT "HealthEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StatsRollup" (
    "id" TEXT NOT NULL,
    "clusterId" TEXT NOT NULL,
    "virtualServiceId" TEXT NOT NULL,
    "subject" TEXT NOT NULL DEFAULT '',
    "bucket" TIMESTAMP(3) NOT NULL,
    "samples" INTEGER NOT NULL,
    "conns" DOUBLE PRECISION NOT NULL,
    "inpkts" DOUBLE PRECISION NOT NULL,
    "outpkts" DOUBLE PRECISION NOT NULL,
    "inbytes" DOUBLE PRECISION NOT NULL,
    "outbytes" DOUBLE PRECISION NOT NULL,
    "activeAvg" DOUBLE PRECISION NOT NULL,
    "activeMax" INTEGER NOT NULL,
    "inactAvg" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "StatsRollup_pkey" PRIMARY KEY ("id")
);

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

-- AddForeignKey
ALTER TABLE "HealthCheck" ADD CONSTRAINT "HealthCheck_virtualServiceId_fkey" FOREIGN KEY ("virtualServiceId") REFERENCES "VirtualService"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RealServerDrain" ADD CONSTRAINT "RealServerDrain_realServerId_fkey" FOREIGN KEY ("realServerId") REFERENCES "RealServer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StatsRollup" ADD CONSTRAINT "StatsRollup_virtualServiceId_fkey" FOREIGN KEY ("virtualServiceId") REFERENCES "VirtualService"("id") ON DELETE CASCADE ON UPDATE CASCADE;

