"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatDay } from "./format";
import styles from "./dashboard.module.css";

export interface Series {
  key: string;
  label: string;
  color: string;
  /** Bars with the same stack id are stacked. */
  stack?: string;
}

/**
 * A bar chart of daily figures. The box has a fixed height, so it takes its room before the
 * data arrives and nothing moves when it does. The numbers are also in a table for screen readers.
 */
export function DailyChart<T extends { day: string }>({
  title,
  data,
  series,
  format = (n: number) => String(n),
  testId,
}: {
  title: string;
  data: T[];
  series: Series[];
  format?: (n: number) => string;
  testId: string;
}) {
  return (
    <figure className={styles.chartCard} data-testid={testId}>
      <figcaption className={styles.chartTitle}>{title}</figcaption>
      <div className={styles.chartBox} aria-hidden="true">
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -12 }}>
            <CartesianGrid vertical={false} stroke="#e2e5ea" />
            <XAxis dataKey="day" tickFormatter={formatDay} tick={{ fontSize: 11, fill: "#5f6873" }} tickLine={false} axisLine={false} minTickGap={16} />
            <YAxis tick={{ fontSize: 11, fill: "#5f6873" }} tickLine={false} axisLine={false} allowDecimals={false} tickFormatter={format} width={56} />
            <Tooltip labelFormatter={(day) => formatDay(String(day))} formatter={(value) => format(Number(value))} isAnimationActive={false} />
            <Legend iconType="circle" iconSize={8} wrapperStyle={{ fontSize: 12 }} />
            {series.map((s) => (
              <Bar key={s.key} dataKey={s.key} name={s.label} fill={s.color} isAnimationActive={false} maxBarSize={28} {...(s.stack ? { stackId: s.stack } : {})} />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </div>
      <table className="sr-only">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            {series.map((s) => (
              <th key={s.key} scope="col">
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {data.map((row) => (
            <tr key={row.day}>
              <th scope="row">{row.day}</th>
              {series.map((s) => (
                <td key={s.key}>{format(Number((row as Record<string, unknown>)[s.key] ?? 0))}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
