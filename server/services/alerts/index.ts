import { NotFoundError, ValidationError } from "../../../engine/errors";
import type { Database } from "../../../engine/store";
import { audit } from "../audit";
import { emailAlert, postAlert, type DeliveryDeps } from "./deliver";
import { AlertRuleInput, METRIC_TEXT, type AlertMetric } from "./rules";
import { metricValues } from "./values";

export { AlertRuleInput } from "./rules";

// Alert rules, evaluated by the worker's ticker. A rule fires when its metric is above the
// threshold and resolves when it is back at or under it. A rule changes state at most once per
// cooldown: a change that comes sooner waits, so a metric flapping around its threshold sends
// one message per cooldown, and the last word (firing or resolved) is always sent. Each change
// is a conditional update on the state it saw, so of several workers only one announces it.

type Rule = Awaited<ReturnType<Database["db"]["alertRule"]["findMany"]>>[number];

export interface AlertChange {
  ruleId: string;
  state: "firing" | "ok";
  value: number;
  delivered: { notification: true; email?: "sent" | "not_sent"; webhook?: number };
}

export function alertService(database: Database, deps: Omit<DeliveryDeps, "db" | "now"> & { now?: () => Date }) {
  const { db } = database;
  const now = deps.now ?? (() => new Date());
  const delivery: DeliveryDeps = { ...deps, db, now };

  const view = (rule: Rule) => ({
    ...rule,
    lastChangeAt: rule.lastChangeAt?.toISOString() ?? null,
    lastNotifiedAt: rule.lastNotifiedAt?.toISOString() ?? null,
    createdAt: rule.createdAt.toISOString(),
    updatedAt: rule.updatedAt.toISOString(),
  });

  async function checkSecret(input: AlertRuleInput) {
    if (!input.webhookSecret) return;
    const credential = await db.credential.findUnique({ where: { name: input.webhookSecret }, select: { kind: true } });
    if (credential?.kind !== "signing") {
      const message = credential ? `'${input.webhookSecret}' is a ${credential.kind} credential, not signing` : `no credential named '${input.webhookSecret}'`;
      throw new ValidationError(`webhookSecret: ${message}`, [{ path: "webhookSecret", message }]);
    }
  }

  async function announce(rule: Rule, state: "firing" | "ok", value: number, at: Date): Promise<AlertChange> {
    const text = METRIC_TEXT[rule.metric as AlertMetric];
    const firing = state === "firing";
    const title = `${firing ? "Alert" : "Resolved"}: ${rule.name}`;
    const body = `The ${text.what} is ${text.unit(value)}, ${firing ? "above" : "back at or under"} the threshold of ${text.unit(rule.threshold)}.`;
    const deliveryId = `alert:${rule.id}:${at.toISOString()}`;
    await db.notification.create({ data: { id: deliveryId, kind: firing ? "alert" : "alert_resolved", title, body, link: "/" } });
    const change: AlertChange = { ruleId: rule.id, state, value, delivered: { notification: true } };
    const message = {
      deliveryId,
      subject: title,
      text: body,
      payload: { event: firing ? "alert.firing" : "alert.resolved", id: deliveryId, rule: { id: rule.id, name: rule.name, metric: rule.metric, threshold: rule.threshold }, value, at: at.toISOString() },
    };
    // Both are tried even when one fails; the first failure is reported after.
    let failure: unknown;
    if (rule.email) change.delivered.email = await emailAlert(delivery, rule.email, message).catch((error: unknown) => void (failure ??= error));
    if (rule.webhookUrl) change.delivered.webhook = await postAlert(delivery, { url: rule.webhookUrl, secret: rule.webhookSecret }, message).catch((error: unknown) => void (failure ??= error));
    if (failure) throw Object.assign(failure as object, { change });
    return change;
  }

  return {
    async list() {
      return (await db.alertRule.findMany({ orderBy: { createdAt: "asc" } })).map(view);
    },
    async create(raw: unknown, actor = "operator") {
      const input = AlertRuleInput.parse(raw);
      await checkSecret(input);
      const rule = await db.alertRule.create({ data: { ...input, email: input.email ?? null, webhookUrl: input.webhookUrl ?? null, webhookSecret: input.webhookSecret ?? null } });
      await audit(db, { actor, action: "alert.create", targetType: "alert_rule", targetId: rule.id, detail: { name: rule.name, metric: rule.metric, threshold: rule.threshold } });
      return view(rule);
    },
    async update(id: string, raw: unknown, actor = "operator") {
      const input = AlertRuleInput.parse(raw);
      await checkSecret(input);
      const { count } = await db.alertRule.updateMany({ where: { id }, data: { ...input, email: input.email ?? null, webhookUrl: input.webhookUrl ?? null, webhookSecret: input.webhookSecret ?? null } });
      if (count === 0) throw new NotFoundError(`no alert rule '${id}'`);
      await audit(db, { actor, action: "alert.update", targetType: "alert_rule", targetId: id, detail: { name: input.name, metric: input.metric, threshold: input.threshold } });
      return view(await db.alertRule.findUniqueOrThrow({ where: { id } }));
    },
    async remove(id: string, actor = "operator") {
      const { count } = await db.alertRule.deleteMany({ where: { id } });
      if (count === 0) throw new NotFoundError(`no alert rule '${id}'`);
      await audit(db, { actor, action: "alert.delete", targetType: "alert_rule", targetId: id });
      return { id };
    },
    /** One evaluation of every enabled rule; returns the changes it announced. */
    async tick(): Promise<AlertChange[]> {
      const rules = await db.alertRule.findMany({ where: { enabled: true } });
      if (rules.length === 0) return [];
      const at = now();
      const values = await metricValues(database, at);
      const changes: AlertChange[] = [];
      let failure: unknown;
      for (const rule of rules) {
        const value = values[rule.metric as AlertMetric];
        const wanted = value > rule.threshold ? "firing" : "ok";
        await db.alertRule.updateMany({ where: { id: rule.id }, data: { lastValue: value } });
        if (wanted === rule.state) continue;
        if (rule.lastChangeAt && at.getTime() - rule.lastChangeAt.getTime() < rule.cooldownMinutes * 60_000) continue;
        const { count } = await db.alertRule.updateMany({
          where: { id: rule.id, state: rule.state, lastChangeAt: rule.lastChangeAt },
          data: { state: wanted, lastChangeAt: at, lastNotifiedAt: at },
        });
        if (count !== 1) continue;
        try {
          changes.push(await announce(rule, wanted, value, at));
        } catch (error) {
          const change = (error as { change?: AlertChange }).change;
          if (change) changes.push(change);
          failure ??= error;
        }
      }
      if (failure) throw failure;
      return changes;
    },
  };
}

export type AlertService = ReturnType<typeof alertService>;
