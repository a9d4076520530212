"use client";
/**
 * The browser side of the panel's live channel (shared/live): one socket.io
 * connection to the `/live` namespace per tab (shared by every component that
 * listens, closed when the last one unmounts), authenticated by the session
 * cookie. Each `useLive` subscribes to one room on mount and after every
 * reconnect, unsubscribes on unmount, and hands valid frames to `onFrame`
 * (frames that do not parse are dropped).
 *
 * `status`: connecting → live; "reconnecting" while the link is down (socket.io
 * retries with backoff); "error" when the panel refused the subscription or
 * the handshake (e.g. the session ended). `epoch` grows on every
 * (re)subscription: a page re-reads its history when it changes, to fill
 * what it missed while disconnected.
 */
import { useEffect, useRef, useState } from "react";
import { io, type Socket } from "socket.io-client";
import type { z } from "zod";
import {
  ClusterLiveFrameSchema,
  HealthLiveFrameSchema,
  LIVE_NAMESPACE,
  LiveEvents,
  ServiceLiveFrameSchema,
  SubscribeAckSchema,
  type LiveSubscription,
} from "@/shared/live";

const SCHEMAS = {
  [LiveEvents.clusterStats]: ClusterLiveFrameSchema,
  [LiveEvents.serviceStats]: ServiceLiveFrameSchema,
  [LiveEvents.health]: HealthLiveFrameSchema,
} as const;
export type LiveEventName = keyof typeof SCHEMAS;
export type LiveFrameOf<E extends LiveEventName> = z.infer<(typeof SCHEMAS)[E]>;

export type LiveStatus = "connecting" | "live" | "reconnecting" | "error";

/** The tab's socket, how many hooks use it, and how many of them are in each room. */
let shared: { socket: Socket; users: number; rooms: Map<string, number> } | null = null;

function acquire(room: string): Socket {
  if (!shared) {
    const socket = io(LIVE_NAMESPACE, { withCredentials: true, path: "/socket.io", reconnectionDelayMax: 5_000 });
    shared = { socket, users: 0, rooms: new Map() };
  }
  shared.users++;
  shared.rooms.set(room, (shared.rooms.get(room) ?? 0) + 1);
  return shared.socket;
}

/** Leaves the room when no other hook on this tab is in it; closes the socket with its last user. */
function release(socket: Socket, room: string, sub: LiveSubscription) {
  if (!shared || shared.socket !== socket) return;
  const left = (shared.rooms.get(room) ?? 1) - 1;
  if (left > 0) shared.rooms.set(room, left);
  else {
    shared.rooms.delete(room);
    if (socket.connected) socket.emit(LiveEvents.unsubscribe, sub);
  }
  shared.users--;
  if (shared.users <= 0) {
    socket.disconnect();
    shared = null;
  }
}

/** The room a subscription joins, as a stable string (hook dependency). */
function subKey(sub: LiveSubscription | null): string {
  if (!sub) return "";
  return sub.scope === "cluster" ? `cluster:${sub.clusterId}` : `service:${sub.serviceId}`;
}

export function useLive<E extends LiveEventName>(
  sub: LiveSubscription | null,
  event: E,
  onFrame: (frame: LiveFrameOf<E>) => void,
): { status: LiveStatus; error: string | null; epoch: number } {
  const [status, setStatus] = useState<LiveStatus>("connecting");
  const [error, setError] = useState<string | null>(null);
  const [epoch, setEpoch] = useState(0);
  const onFrameRef = useRef(onFrame);
  onFrameRef.current = onFrame;
  const key = subKey(sub);

  useEffect(() => {
    if (!sub) return;
    const socket = acquire(key);
    const schema = SCHEMAS[event];
    let alive = true;

    const subscribe = () => {
      socket.timeout(10_000).emit(LiveEvents.subscribe, sub, (err: Error | null, raw: unknown) => {
        if (!alive) return;
        const ack = SubscribeAckSchema.safeParse(raw);
        if (err || !ack.success) {
          setStatus("reconnecting");
          setError(err ? "The panel did not answer the subscription" : "Unexpected answer from the panel");
          return;
        }
        if (!ack.data.ok) {
          setStatus("error");
          setError(ack.data.error ?? "The panel refused the live subscription");
          return;
        }
        setStatus("live");
        setError(null);
        setEpoch((n) => n + 1);
      });
    };
    const onConnect = () => subscribe();
    const onDisconnect = () => alive && setStatus("reconnecting");
    const onConnectError = (e: Error) => {
      if (!alive) return;
      // the handshake was refused (no or expired session): socket.io does not retry that by itself
      const refused = !socket.active;
      setStatus(refused ? "error" : "reconnecting");
      setError(refused ? `Live updates refused: ${e.message}` : null);
    };
    const onData = (raw: unknown) => {
      const parsed = schema.safeParse(raw);
      if (!parsed.success) return;
      const frame = parsed.data as LiveFrameOf<E>;
      // one socket may carry several rooms: keep only this subscription's frames
      if (sub.scope === "cluster" && "clusterId" in frame && frame.clusterId !== sub.clusterId) return;
      if (sub.scope === "service" && "serviceId" in frame && frame.serviceId !== sub.serviceId) return;
      onFrameRef.current(frame);
    };

    socket.on("connect", onConnect);
    socket.on("disconnect", onDisconnect);
    socket.on("connect_error", onConnectError);
    const eventName: string = event;
    socket.on(eventName, onData);
    if (socket.connected) subscribe();

    return () => {
      alive = false;
      socket.off("connect", onConnect);
      socket.off("disconnect", onDisconnect);
      socket.off("connect_error", onConnectError);
      socket.off(eventName, onData);
      release(socket, key, sub);
    };
    // `key` identifies `sub`: a new object for the same room must not resubscribe
  }, [key, event]);

  return { status, error, epoch };
}
