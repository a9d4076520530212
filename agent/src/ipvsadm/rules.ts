/**
 * The ipvsadm rule language: the lines `ipvsadm -Sn` prints and `ipvsadm -R`
 * reads (-A/-E/-D for services, -a/-e/-d for destinations). Printing follows
 * ipvsadm 1.31's `-Sn` output exactly (option order, defaults left out), so a
 * saved table parses and prints back to the same text. `-Sn` never prints the
 * thresholds (-x/-y); commands the agent writes carry them.
 */
import { formatEndpoint, netmaskToPrefix, normalizeIp, parseEndpoint, type IpFamily } from "../../../shared/net";
import {
  canonicalFlags,
  serviceKey,
  type IpvsDestination,
  type IpvsProtocol,
  type IpvsService,
} from "../../../shared/desired-state/resolve";
import type { ForwardingMethod } from "../../../shared/desired-state/schema";

export type ServiceRef = Pick<IpvsService, "protocol" | "family" | "address" | "port" | "fwmark">;

export type RuleCommand =
  | { command: "add-service" | "edit-service"; service: IpvsService }
  | { command: "delete-service"; service: ServiceRef & { key: string } }
  | { command: "add-dest" | "edit-dest"; service: ServiceRef & { key: string }; destination: IpvsDestination }
  | { command: "delete-dest"; service: ServiceRef & { key: string }; destination: Pick<IpvsDestination, "key" | "address" | "port"> };

export class RuleSyntaxError extends Error {}

const FORWARDING_SWITCH: Record<ForwardingMethod, string> = { dr: "-g", nat: "-m", tun: "-i" };

/** "-t 10.0.0.1:80" / "-u [2001:db8::1]:53" / "-f 7" / "-f 8 -6" */
export function serviceSpec(service: ServiceRef): string {
  if (service.protocol === "fwmark") return service.family === 6 ? `-f ${service.fwmark} -6` : `-f ${service.fwmark}`;
  return `${service.protocol === "tcp" ? "-t" : "-u"} ${formatEndpoint(service.address!, service.port)}`;
}

export function defaultNetmask(family: IpFamily): string {
  return family === 4 ? "255.255.255.255" : "128";
}

/** "-A -t 10.0.0.1:80 -s wlc -p 120 -M 255.255.255.0 --pe sip -b sh-fallback" */
export function formatServiceLine(command: "-A" | "-E", service: IpvsService): string {
  let line = `${command} ${serviceSpec(service)} -s ${service.scheduler}`;
  if (service.persistence) {
    line += ` -p ${service.persistence.timeout}`;
    if (service.persistence.netmask !== defaultNetmask(service.family)) line += ` -M ${service.persistence.netmask}`;
  }
  if (service.pe) line += ` --pe ${service.pe}`;
  if (service.flags.length > 0) line += ` -b ${service.flags.join(",")}`;
  return line;
}

/** "-a -t 10.0.0.1:80 -r 10.0.0.11:80 -g -w 1 -x 100 -y 10" (TUN adds "--tun-type ipip" like -Sn) */
export function formatDestinationLine(command: "-a" | "-e", service: ServiceRef, destination: IpvsDestination): string {
  let line = `${command} ${serviceSpec(service)} -r ${formatEndpoint(destination.address, destination.port)} ${FORWARDING_SWITCH[destination.forwarding]} -w ${destination.weight}`;
  if (destination.upperThreshold > 0) line += ` -x ${destination.upperThreshold}`;
  if (destination.lowerThreshold > 0) line += ` -y ${destination.lowerThreshold}`;
  if (destination.forwarding === "tun") line += " --tun-type ipip";
  return line;
}

export function formatDeleteServiceLine(service: ServiceRef): string {
  return `-D ${serviceSpec(service)}`;
}

export function formatDeleteDestinationLine(service: ServiceRef, destination: Pick<IpvsDestination, "address" | "port">): string {
  return `-d ${serviceSpec(service)} -r ${formatEndpoint(destination.address, destination.port)}`;
}

export function formatRuleCommand(rule: RuleCommand): string {
  switch (rule.command) {
    case "add-service":
      return formatServiceLine("-A", rule.service);
    case "edit-service":
      return formatServiceLine("-E", rule.service);
    case "delete-service":
      return formatDeleteServiceLine(rule.service);
    case "add-dest":
      return formatDestinationLine("-a", rule.service, rule.destination);
    case "edit-dest":
      return formatDestinationLine("-e", rule.service, rule.destination);
    case "delete-dest":
      return formatDeleteDestinationLine(rule.service, rule.destination);
  }
}

function integer(text: string | undefined, what: string, min: number, max: number): number {
  if (text === undefined || !/^[0-9]+$/.test(text)) throw new RuleSyntaxError(`${what}: expected a number, got ${JSON.stringify(text)}`);
  const value = Number(text);
  if (value < min || value > max) throw new RuleSyntaxError(`${what}: ${value} is outside ${min}–${max}`);
  return value;
}

/** Parses one rule line (the part after "ipvsadm"). */
export function parseRuleLine(line: string): RuleCommand {
  const tokens = line.trim().split(/\s+/).filter(Boolean);
  let command: string | null = null;
  let protocol: IpvsProtocol | null = null;
  let serviceText: string | null = null;
  let force6 = false;
  let scheduler: string | null = null;
  let flagsText: string | null = null;
  let persistent: number | null = null;
  let netmask: string | null = null;
  let pe: string | null = null;
  let realText: string | null = null;
  let forwarding: ForwardingMethod | null = null;
  let weight: number | null = null;
  let upper = 0;
  let lower = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    const next = () => {
      const value = tokens[++i];
      if (value === undefined) throw new RuleSyntaxError(`${token} needs a value`);
      return value;
    };
    switch (token) {
      case "-A":
      case "--add-service":
      case "-E":
      case "--edit-service":
      case "-D":
      case "--delete-service":
      case "-a":
      case "--add-server":
      case "-e":
      case "--edit-server":
      case "-d":
      case "--delete-server":
        if (command) throw new RuleSyntaxError(`two commands in one line: ${command} and ${token}`);
        command = token.startsWith("--") ? ({ "--add-service": "-A", "--edit-service": "-E", "--delete-service": "-D", "--add-server": "-a", "--edit-server": "-e", "--delete-server": "-d" } as Record<string, string>)[token] : token;
        break;
      case "-t":
      case "--tcp-service":
        protocol = "tcp";
        serviceText = next();
        break;
      case "-u":
      case "--udp-service":
        protocol = "udp";
        serviceText = next();
        break;
      case "-f":
      case "--fwmark-service":
        protocol = "fwmark";
        serviceText = next();
        break;
      case "-6":
      case "--ipv6":
        force6 = true;
        break;
      case "-s":
      case "--scheduler":
        scheduler = next();
        break;
      case "-b":
      case "--sched-flags":
        flagsText = next();
        break;
      case "-p":
      case "--persistent":
        persistent = tokens[i + 1] !== undefined && /^[0-9]+$/.test(tokens[i + 1]) ? integer(next(), "-p", 1, 2147483647) : 300;
        break;
      case "-M":
      case "--netmask":
        netmask = next();
        break;
      case "--pe":
        pe = next();
        break;
      case "-r":
      case "--real-server":
        realText = next();
        break;
      case "-g":
      case "--gatewaying":
        forwarding = "dr";
        break;
      case "-m":
      case "--masquerading":
        forwarding = "nat";
        break;
      case "-i":
      case "--ipip":
        forwarding = "tun";
        break;
      case "-w":
      case "--weight":
        weight = integer(next(), "-w", 0, 65535);
        break;
      case "-x":
      case "--u-threshold":
        upper = integer(next(), "-x", 0, 2147483647);
        break;
      case "-y":
      case "--l-threshold":
        lower = integer(next(), "-y", 0, 2147483647);
        break;
      case "--tun-type": {
        const type = next();
        if (type !== "ipip") throw new RuleSyntaxError(`--tun-type ${type} is not supported (only ipip)`);
        break;
      }
      default:
        throw new RuleSyntaxError(`unsupported ipvsadm option ${JSON.stringify(token)}`);
    }
  }
  if (!command) throw new RuleSyntaxError(`no command in ${JSON.stringify(line)}`);
  if (!protocol || serviceText === null) throw new RuleSyntaxError(`no virtual service (-t/-u/-f) in ${JSON.stringify(line)}`);

  let ref: ServiceRef & { key: string };
  if (protocol === "fwmark") {
    const fwmark = integer(serviceText, "-f", 1, 4294967295);
    ref = { key: "", protocol, family: force6 ? 6 : 4, address: null, port: 0, fwmark };
  } else {
    const endpoint = parseEndpoint(serviceText);
    if (!endpoint || endpoint.port === null) throw new RuleSyntaxError(`bad service address ${JSON.stringify(serviceText)} (expected ADDR:PORT or [V6]:PORT)`);
    ref = { key: "", protocol, family: endpoint.family, address: endpoint.address, port: endpoint.port, fwmark: 0 };
  }
  ref.key = serviceKey(ref);

  if (command === "-A" || command === "-E") {
    if (realText !== null) throw new RuleSyntaxError(`${command} takes no -r`);
    const sched = scheduler ?? "wlc";
    let persistence: IpvsService["persistence"] = null;
    if (persistent !== null) {
      let mask = defaultNetmask(ref.family);
      if (netmask !== null) {
        if (ref.family === 4) {
          const prefix = netmaskToPrefix(netmask);
          if (prefix === null) throw new RuleSyntaxError(`bad IPv4 netmask ${JSON.stringify(netmask)}`);
          mask = normalizeIp(netmask)!;
        } else {
          mask = String(integer(netmask, "-M", 1, 128));
        }
      }
      persistence = { timeout: persistent, netmask: mask };
    } else if (netmask !== null) {
      throw new RuleSyntaxError("-M needs -p");
    }
    const flags = flagsText ? flagsText.split(",") : [];
    const canonical = canonicalFlags(sched, flags);
    if (canonical.length !== new Set(flags).size) throw new RuleSyntaxError(`bad scheduler flags ${JSON.stringify(flagsText)} for ${sched}`);
    const service: IpvsService = { ...ref, scheduler: sched, flags: canonical, persistence, pe, destinations: [] };
    return { command: command === "-A" ? "add-service" : "edit-service", service };
  }
  if (command === "-D") return { command: "delete-service", service: ref };

  if (realText === null) throw new RuleSyntaxError(`${command} needs -r`);
  const real = parseEndpoint(realText);
  if (!real) throw new RuleSyntaxError(`bad real server ${JSON.stringify(realText)}`);
  const port = real.port ?? ref.port;
  const key = formatEndpoint(real.address, port);
  if (command === "-d") return { command: "delete-dest", service: ref, destination: { key, address: real.address, port } };
  const destination: IpvsDestination = {
    key,
    address: real.address,
    port,
    forwarding: forwarding ?? "dr",
    weight: weight ?? 1,
    upperThreshold: upper,
    lowerThreshold: lower,
  };
  return { command: command === "-a" ? "add-dest" : "edit-dest", service: ref, destination };
}

/** Parses `ipvsadm -Sn` output (or any -A/-a listing) into services with their destinations, in order. */
export function parseSavedRules(text: string): IpvsService[] {
  const services = new Map<string, IpvsService>();
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    let rule: RuleCommand;
    try {
      rule = parseRuleLine(line);
    } catch (error) {
      throw new RuleSyntaxError(`line ${index + 1}: ${(error as Error).message}`);
    }
    if (rule.command === "add-service") {
      services.set(rule.service.key, rule.service);
    } else if (rule.command === "add-dest") {
      const service = services.get(rule.service.key);
      if (!service) throw new RuleSyntaxError(`line ${index + 1}: destination for unknown service ${rule.service.key}`);
      service.destinations.push(rule.destination);
    } else {
      throw new RuleSyntaxError(`line ${index + 1}: a saved table holds only -A and -a lines`);
    }
  });
  return [...services.values()];
}

/** Prints services as `ipvsadm -Sn` does (thresholds included when set, which -Sn itself omits). */
export function formatSavedRules(services: readonly IpvsService[]): string {
  const lines: string[] = [];
  for (const service of services) {
    lines.push(formatServiceLine("-A", service));
    for (const destination of service.destinations) lines.push(formatDestinationLine("-a", service, destination));
  }
  return lines.length ? lines.join("\n") + "\n" : "";
}
