import type { Db } from "../../engine/store";
import { saveEgressAllowlist } from "../../server/services/egress";

/**
 * Lets http.request reach local test peers: the egress guard refuses loopback by default, so a
 * test calling a sink on 127.0.0.1 allows it the way an operator would, in the scratch
 * database's Settings (workers in spawned `keel worker` processes read the same row).
 * Processes started without a shared database can use KEEL_EGRESS_ALLOW=127.0.0.1 instead.
 */
export async function allowLoopback(db: Db): Promise<void> {
  await saveEgressAllowlist(db, { entries: ["127.0.0.1"] }, "test");
}
