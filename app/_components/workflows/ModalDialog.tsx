"use client";

import * as Dialog from "@radix-ui/react-dialog";
import type { ReactNode } from "react";

// Every dialog in Keel is one of these: the look is `.dialog` in globals.css.

/** A Radix dialog in Keel's look: focus trapped, Escape closes, focus returns to the opener. */
export function ModalDialog({
  open,
  onOpenChange,
  title,
  description,
  children,
  testId,
  trigger,
  wide,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  description?: ReactNode;
  children: ReactNode;
  testId?: string;
  /** The button that opens it, when the dialog owns its opener (focus returns there). */
  trigger?: ReactNode;
  wide?: boolean;
}) {
  return (
    <Dialog.Root open={open} onOpenChange={onOpenChange}>
      {trigger ? <Dialog.Trigger asChild>{trigger}</Dialog.Trigger> : null}
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className={wide ? "dialog dialog-wide" : "dialog"} data-testid={testId} {...(description ? {} : { "aria-describedby": undefined })}>
          <Dialog.Title>{title}</Dialog.Title>
          {description ? <Dialog.Description className="dialog-description">{description}</Dialog.Description> : null}
          {children}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

/** A refused action's sentence, kept in the dialog next to what to fix. */
export function DialogError({ error, testId }: { error: string | null; testId?: string }) {
  return error ? (
    <p className="form-error" role="alert" data-testid={testId}>
      {error}
    </p>
  ) : null;
}

/** Cancel and the dialog's one action. A submit button when `onConfirm` is left out (inside a form). */
export function DialogActions({ label, pendingLabel = "Working…", pending, danger, onConfirm }: { label: string; pendingLabel?: string; pending: boolean; danger?: boolean; onConfirm?: () => void }) {
  return (
    <div className="dialog-actions">
      <Dialog.Close asChild>
        <button type="button" className="button-quiet">
          Cancel
        </button>
      </Dialog.Close>
      <button type={onConfirm ? "button" : "submit"} className={danger ? "button-danger" : "button-primary"} onClick={onConfirm} disabled={pending}>
        {pending ? pendingLabel : label}
      </button>
    </div>
  );
}

/** Asks before a destructive action; the error of a refused action stays in the dialog. */
export function ConfirmDialog({
  open,
  onOpenChange,
  title,
  description,
  confirmLabel,
  danger,
  pending,
  error,
  onConfirm,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  description: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  pending: boolean;
  error: string | null;
  onConfirm: () => void;
}) {
  return (
    <ModalDialog open={open} onOpenChange={onOpenChange} title={title} description={description} testId="confirm-dialog">
      <DialogError error={error} />
      <DialogActions label={confirmLabel} danger={danger} pending={pending} onConfirm={onConfirm} />
    </ModalDialog>
  );
}
