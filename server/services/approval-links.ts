import { createHash, createHmac, randomBytes } from "node:crypto";
import { z } from "zod";
import { ConflictError, NotFoundError, ValidationError } from "../../engine/errors";
import { json, type Db } from "../../engine/store";
import { safeEqual } from "../auth/tokens";
import type { RunService } from "./runs";

// Signed one-time approve / reject links for the notification email. A link only opens a
// confirmation page (mail scanners fetch every link they see, so a GET never decides); the
// decision is the page's POST. The token carries the approval, the action and an expiry,
// signed with a key derived from Keel's master secret; its first use is recorded (a Setting
// row keyed by the token's hash, created once), so a used link is refused, and once the
// approval is decided its other link is refused too.

export const LINK_ACTOR = "email-link";
const LINK_TTL_MS = 7 * 24 * 3_600_000;
const USED_PREFIX = "approval-link-used:";

export const UseLinkInput = z.object({ token: z.string().min(1).max(2_000), reason: z.string().trim().max(5_000).optional() });

const Payload = z.object({ a: z.string().min(1), d: z.enum(["approve", "reject"]), e: z.number().int(), n: z.string() });
type Payload = z.output<typeof Payload>;

export function approvalLinkService(db: Db, deps: { secret: string; publicUrl?: string | undefined; runs?: RunService; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  // A key of its own, so a link's signature says nothing about the key that seals credentials.
  const key = createHash("sha256").update(`keel approval links\0${deps.secret}`).digest();
  const sign = (body: string) => createHmac("sha256", key).update(body).digest("base64url");

  function issue(approvalId: string, action: "approve" | "reject"): string {
    const body = Buffer.from(JSON.stringify({ a: approvalId, d: action, e: now().getTime() + LINK_TTL_MS, n: randomBytes(9).toString("base64url") } satisfies Payload)).toString("base64url");
    return `${body}.${sign(body)}`;
  }

  function verify(token: string): Payload {
    const [body, signature, extra] = token.split(".");
    if (!body || !signature || extra !== undefined || !safeEqual(sign(body), signature)) throw new ValidationError("token: this is not a valid approval link", [{ path: "token", message: "is not valid" }]);
    const parsed = Payload.safeParse(JSON.parse(Buffer.from(body, "base64url").toString("utf8")));
    if (!parsed.success) throw new ValidationError("token: this is not a valid approval link", [{ path: "token", message: "is not valid" }]);
    if (parsed.data.e < now().getTime()) throw new ConflictError("This approval link has expired; open the approval in Keel instead.");
    return parsed.data;
  }

  const usedKey = (token: string) => `${USED_PREFIX}${createHash("sha256").update(token).digest("hex")}`;

  return {
    /** Absolute approve and reject links for an approval (for the email). */
    links(approvalId: string): { approve: string; reject: string } {
      const base = (deps.publicUrl ?? "").replace(/\/$/, "");
      return {
        approve: `${base}/approval-link?token=${issue(approvalId, "approve")}`,
        reject: `${base}/approval-link?token=${issue(approvalId, "reject")}`,
      };
    },

    issue,

    /** What a link would do, without doing it: the confirmation page shows this. */
    async inspect(token: string) {
      const payload = verify(token);
      const approval = await db.approval.findUnique({
        where: { id: payload.a },
        select: { id: true, status: true, risk: true, packet: true, run: { select: { status: true, workflow: { select: { name: true } } } } },
      });
      if (!approval) throw new NotFoundError("The approval this link is for no longer exists.");
      const used = await db.setting.findUnique({ where: { key: usedKey(token) }, select: { key: true } });
      const packet = approval.packet as { title?: unknown; proposal?: unknown };
      const refusal = used
        ? "This link was already used."
        : approval.status !== "pending"
          ? `This approval was already decided (${approval.status}).`
          : approval.run.status === "cancelled"
            ? "The run this approval belongs to was cancelled."
            : null;
      return {
        action: payload.d,
        approvalId: approval.id,
        title: String(packet.title ?? ""),
        proposal: packet.proposal ?? null,
        risk: approval.risk,
        workflow: approval.run.workflow.name,
        usable: refusal === null,
        refusal,
      };
    },

    /** Decides the approval as the link says, once; any later use of this link is refused. */
    async use(raw: z.input<typeof UseLinkInput>) {
      const input = UseLinkInput.parse(raw);
      const payload = verify(input.token);
      if (!deps.runs) throw new Error("approval links need the run service to decide");
      if (payload.d === "reject" && !input.reason) throw new ValidationError("reason: is required: say why", [{ path: "reason", message: "is required" }]);
      try {
        await db.setting.create({ data: { key: usedKey(input.token), value: json({ approvalId: payload.a, action: payload.d, at: now().toISOString() }) } });
      } catch (error) {
        if ((error as { code?: string }).code === "P2002") throw new ConflictError("This link was already used.");
        throw error;
      }
      const decided = await deps.runs.decide({ approvalId: payload.a, decision: payload.d, ...(input.reason ? { comment: input.reason } : {}) }, LINK_ACTOR);
      return { action: payload.d, runId: decided.runId };
    },
  };
}

export type ApprovalLinkService = ReturnType<typeof approvalLinkService>;
