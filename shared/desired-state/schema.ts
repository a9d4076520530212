/**
 * The desired state of ONE host (director or real server): the contract
 * between the panel (which compiles it from the cluster model) and the agent
 * (which reconciles the kernel to it). Pure zod, no Node-only imports.
 *
 * Every top-level section is required, even when empty: a document that lacks
 * one is treated as partial and rejected, so a truncated file can never make
 * the agent delete what it owns.
 */
import { z } from "zod";
import { isValidInterfaceName } from "../net";

export const DESIRED_STATE_SCHEMA_VERSION = 1;

/** Every scheduler the Linux kernel ships (ip_vs_*.ko). */
export const SCHEDULERS = ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "mh", "fo", "ovf"] as const;
export type Scheduler = (typeof SCHEDULERS)[number];

/**
 * Scheduler flags, spelled as `ipvsadm -b` takes them. The kernel has three
 * flag bits; sh and mh give the first two a name, and ipvsadm prints those
 * names in `ipvsadm -Sn`. flag-1/flag-2 are accepted for sh/mh and mean the same bits.
 */
export const SCHEDULER_FLAGS = ["flag-1", "flag-2", "flag-3", "sh-fallback", "sh-port", "mh-fallback", "mh-port"] as const;
export type SchedulerFlag = (typeof SCHEDULER_FLAGS)[number];

export const FORWARDING_METHODS = ["dr", "nat", "tun"] as const;
export type ForwardingMethod = (typeof FORWARDING_METHODS)[number];

export const PERSISTENCE_ENGINES = ["sip"] as const;
export const ADDRESS_FAMILIES = ["ipv4", "ipv6"] as const;
export type AddressFamilyName = (typeof ADDRESS_FAMILIES)[number];

const MAX_U32 = 4294967295;
const MAX_I32 = 2147483647;

const port = z.int({ error: "must be a port number 0–65535" }).min(0).max(65535);
const ipText = z.string().describe("IPv4 or IPv6 address (any valid spelling; the agent normalises it)");
const interfaceName = z
  .string()
  .refine(isValidInterfaceName, { error: "must be a Linux interface name (1–15 characters, no spaces, '/' or ':')" });

const scheduler = z.enum(SCHEDULERS, {
  error: (issue) => `unknown scheduler ${JSON.stringify(issue.input)}: expected one of ${SCHEDULERS.join(", ")}`,
});

export const DestinationSchema = z
  .strictObject({
    address: ipText.describe("real server address"),
    port: port.optional().describe("real server port; defaults to the service port (0 for fwmark services). DR and TUN cannot change it."),
    forwarding: z
      .enum(FORWARDING_METHODS, { error: (i) => `unknown forwarding method ${JSON.stringify(i.input)}: expected dr, nat or tun` })
      .describe("dr = direct routing (-g), nat = masquerading (-m), tun = IP-in-IP tunnelling (-i)"),
    weight: z.int().min(0).max(65535).default(1).describe("0 drains the server: no new connections"),
    upperThreshold: z.int().min(0).max(MAX_I32).default(0).describe("-x: stop sending new connections above this many (0 = no limit)"),
    lowerThreshold: z.int().min(0).max(MAX_I32).default(0).describe("-y: resume below this many (0 = unset)"),
  })
  .describe("a real server of the virtual service");

export const PersistenceSchema = z.strictObject({
  timeout: z.int().min(1).max(MAX_I32).describe("seconds (-p)"),
  netmask: z
    .union([z.string(), z.int()])
    .optional()
    .describe("-M: IPv4 services a dotted netmask (\"255.255.255.0\") or prefix length; IPv6 services a prefix length 1–128. Default: one client address."),
});

/**
 * Health checking (issue #6), run by the agent on a director against every
 * destination of the service. Results are never written back into the desired
 * state: the agent overlays them on the kernel (weight 0 or no destination
 * while down) and reports them on the "health" event.
 */
export const HEALTH_CHECK_TYPES = ["http", "https", "tcp", "exec", "dns"] as const;
export type HealthCheckType = (typeof HEALTH_CHECK_TYPES)[number];
export const DNS_QUERY_TYPES = ["A", "AAAA", "CNAME", "MX", "NS", "SOA", "SRV", "TXT", "PTR"] as const;
export const HEALTH_CHECK_DEFAULTS = { intervalMs: 300, timeoutMs: 500, rise: 2, fall: 2 } as const;
/** "200", "200-399", "200,301-302": each part a status 100–599 or a range of them. */
export const HTTP_STATUS_PATTERN = /^[1-5]\d\d(-[1-5]\d\d)?(,[1-5]\d\d(-[1-5]\d\d)?)*$/;

const healthCommon = {
  intervalMs: z.int().min(100).max(3_600_000).default(HEALTH_CHECK_DEFAULTS.intervalMs).describe("time between the starts of two checks of one destination"),
  timeoutMs: z.int().min(50).max(60_000).default(HEALTH_CHECK_DEFAULTS.timeoutMs).describe("a check that takes longer fails"),
  rise: z.int().min(1).max(100).default(HEALTH_CHECK_DEFAULTS.rise).describe("consecutive successes before a down destination is up again"),
  fall: z.int().min(1).max(100).default(HEALTH_CHECK_DEFAULTS.fall).describe("consecutive failures before an up destination is down"),
  port: port.min(1).optional().describe("port to check; default the destination's port (required for fwmark services)"),
};

export const HealthCheckSchema = z.discriminatedUnion(
  "type",
  [
    z.strictObject({
      type: z.enum(["http", "https"]),
      ...healthCommon,
      path: z.string().regex(/^\/[^\s]*$/, { error: "path must start with / and contain no spaces" }).max(2048).default("/"),
      host: z.string().min(1).max(253).regex(/^[^\s/]+$/, { error: "Host header must be a host name (optionally :port), no spaces or /" }).optional().describe("Host header; default the real server's address"),
      expectStatus: z.string().regex(HTTP_STATUS_PATTERN, { error: "expected status must look like 200, 200-399 or 200,301-302" }).default("200-399"),
      expectBody: z.string().min(1).max(1024).optional().describe("text (or regex when bodyIsRegex) the response body must contain"),
      bodyIsRegex: z.boolean().default(false),
      tlsVerify: z.boolean().default(false).describe("https: verify the certificate (off: real servers are usually addressed by IP)"),
    }),
    z.strictObject({ type: z.literal("tcp"), ...healthCommon }),
    z.strictObject({
      type: z.literal("exec"),
      ...healthCommon,
      command: z.string().regex(/^\/[^\s]+$/, { error: "command must be an absolute path without spaces (arguments go in args)" }).max(1024),
      args: z.array(z.string().max(1024)).max(32).default([]).describe("after these the agent appends: real server address, real server port, VIP, VIP port"),
    }),
    z.strictObject({
      type: z.literal("dns"),
      ...healthCommon,
      name: z.string().min(1).max(253).regex(/^[A-Za-z0-9_.-]+$/, { error: "must be a DNS name" }),
      queryType: z.enum(DNS_QUERY_TYPES).default("A"),
    }),
  ],
  { error: (i) => `unknown health check type ${JSON.stringify((i.input as { type?: unknown } | undefined)?.type)}: expected ${HEALTH_CHECK_TYPES.join(", ")}` },
);

export const SorryServerSchema = z
  .strictObject({
    address: ipText,
    port: port.optional().describe("default the service port"),
    forwarding: z.enum(FORWARDING_METHODS),
  })
  .describe("added (weight 1) only while every destination of the service is down; removed as soon as one is up");

const serviceCommon = {
  scheduler: scheduler.describe("-s"),
  schedulerFlags: z
    .array(z.enum(SCHEDULER_FLAGS, { error: (i) => `unknown scheduler flag ${JSON.stringify(i.input)}: expected one of ${SCHEDULER_FLAGS.join(", ")}` }))
    .default([])
    .describe("-b"),
  persistence: PersistenceSchema.optional(),
  persistenceEngine: z.enum(PERSISTENCE_ENGINES).optional().describe("--pe (requires persistence)"),
  destinations: z.array(DestinationSchema),
  healthCheck: HealthCheckSchema.optional().describe("no health check: destinations are always in the kernel with their weight"),
  onFailure: z.enum(["quiesce", "remove"]).default("quiesce").describe("quiesce = weight 0 (existing connections finish); remove = delete the destination"),
  slowStartSeconds: z.int().min(0).max(3600).default(0).describe("after recovery ramp the weight up over this many seconds (0 = at once)"),
  sorryServer: SorryServerSchema.optional(),
};

export const AddressServiceSchema = z.strictObject({
  protocol: z.enum(["tcp", "udp"]),
  address: ipText.describe("virtual IP"),
  port: port.describe("virtual port; 0 = every port (persistent services only)"),
  ...serviceCommon,
});

export const FwmarkServiceSchema = z.strictObject({
  protocol: z.literal("fwmark"),
  fwmark: z.int().min(1).max(MAX_U32).describe("packets carrying this mark (set by the fwmarks rules) form the service"),
  family: z.enum(ADDRESS_FAMILIES),
  port: z
    .never({ error: "a fwmark service matches packets by mark, not by port: remove \"port\" and list the ports in a fwmarks rule" })
    .optional(),
  address: z.never({ error: "a fwmark service has no address: put the address in a fwmarks rule" }).optional(),
  ...serviceCommon,
});

export const VirtualServiceSchema = z.discriminatedUnion("protocol", [AddressServiceSchema, FwmarkServiceSchema], {
  error: (i) => `unknown protocol ${JSON.stringify((i.input as { protocol?: unknown } | undefined)?.protocol)}: expected tcp, udp or fwmark`,
});

export const IpvsTimeoutsSchema = z
  .strictObject({
    tcp: z.int().min(1).max(MAX_I32),
    tcpfin: z.int().min(1).max(MAX_I32),
    udp: z.int().min(1).max(MAX_I32),
  })
  .describe("ipvsadm --set tcp tcpfin udp (seconds)");

export const DirectorAddressSchema = z
  .strictObject({
    interface: interfaceName,
    address: z.string().describe("VIP, optionally with /32 (IPv4) or /128 (IPv6); no other prefix"),
  })
  .describe("an address the agent adds to an interface (IPv4 gets the label IFACE:lvs)");

export const RealServerSchema = z
  .strictObject({
    forwarding: z.enum(["dr", "tun"]),
    vips: z.array(ipText).min(1),
  })
  .describe(
    "real-server side of DR/TUN: the VIPs on lo (dr) or on the ipip tunnel tunl0 / ip6tnl0 (tun), arp_ignore=1 and arp_announce=2 on lo and all, and for tun rp_filter=0 on the tunnel and all",
  );

export const FwmarkRuleSchema = z.strictObject({
  mark: z.int().min(1).max(MAX_U32),
  family: z.enum(ADDRESS_FAMILIES),
  protocol: z.enum(["tcp", "udp"]),
  destination: z.string().describe("address or CIDR the packets are sent to (the VIP)"),
  ports: z.array(z.int().min(1).max(65535)).min(1).optional().describe("destination ports; omitted = every port"),
});

const SYSCTL_KEY = /^net\.(ipv4|ipv6)(\.[A-Za-z0-9_@\/-]+)+$/;
export const SysctlsSchema = z
  .record(
    z.string().regex(SYSCTL_KEY, { error: (i) => `sysctl key ${JSON.stringify(i.input)} is not a net.ipv4.* / net.ipv6.* key in dotted form` }),
    z.union([z.int(), z.string().regex(/^[^\s]+$/, { error: "sysctl values must be a number or a single word" })]),
  )
  .describe("sysctl key → value; the agent records each original value and restores it when the key is removed");

export const DesiredStateSchema = z
  .strictObject({
    schemaVersion: z.literal(DESIRED_STATE_SCHEMA_VERSION, {
      error: `schemaVersion must be ${DESIRED_STATE_SCHEMA_VERSION} (this agent's desired-state format)`,
    }),
    generation: z
      .int({
        error: (i) =>
          i.input === undefined ? "generation (a positive integer that increases with every change) is required" : "generation must be a positive integer",
      })
      .min(1)
      .max(Number.MAX_SAFE_INTEGER),
    host: z.string().max(253).optional().describe("informational: the host this state was compiled for"),
    ipvs: z.strictObject({
      services: z.array(VirtualServiceSchema),
      timeouts: IpvsTimeoutsSchema.optional(),
    }),
    addresses: z.array(DirectorAddressSchema),
    realServer: RealServerSchema.nullable(),
    sysctls: SysctlsSchema,
    fwmarks: z.array(FwmarkRuleSchema),
  })
  .describe("lvs-control desired state of one host");

/** What an author writes (defaults optional). */
export type DesiredStateInput = z.input<typeof DesiredStateSchema>;
/** What the schema produces (defaults filled in). */
export type DesiredState = z.output<typeof DesiredStateSchema>;
export type VirtualService = z.output<typeof VirtualServiceSchema>;
export type Destination = z.output<typeof DestinationSchema>;
export type FwmarkRule = z.output<typeof FwmarkRuleSchema>;
export type DirectorAddress = z.output<typeof DirectorAddressSchema>;
export type RealServerSetup = z.output<typeof RealServerSchema>;
export type IpvsTimeouts = z.output<typeof IpvsTimeoutsSchema>;
export type HealthCheck = z.output<typeof HealthCheckSchema>;
export type SorryServer = z.output<typeof SorryServerSchema>;
