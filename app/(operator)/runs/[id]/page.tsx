"use client";

import Link from "next/link";
import { useParams, useSearchParams } from "next/navigation";
import { RunReplay } from "../../../_components/replay/RunReplay";
import { routeParam } from "../../../_components/route-param";

export default function RunPage() {
  const id = routeParam(useParams<{ id: string }>().id);
  const step = Number(useSearchParams().get("step"));
  return (
    <section>
      <p className="breadcrumb">
        <Link href="/runs">← Runs</Link>
      </p>
      {id.length === 0 ? (
        <div className="state state-error" role="alert">
          No run id in the address.
        </div>
      ) : (
        <RunReplay key={id} id={id} initialStep={Number.isInteger(step) && step > 0 ? step : null} />
      )}
    </section>
  );
}
