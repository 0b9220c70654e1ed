"use client";

import * as Dialog from "@radix-ui/react-dialog";
import type { ReactNode } from "react";
import "./workflows.css";

/** A Radix dialog in Keel's look: focus trapped, Escape closes, focus returns to the opener. */
export function ModalDialog({
  open,
  onOpenChange,
  title,
  description,
  children,
  testId,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  description?: ReactNode;
  children: ReactNode;
  testId?: string;
}) {
  return (
    <Dialog.Root open={open} onOpenChange={onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog" data-testid={testId} {...(description ? {} : { "aria-describedby": undefined })}>
          <Dialog.Title>{title}</Dialog.Title>
          {description ? <Dialog.Description className="dialog-description">{description}</Dialog.Description> : null}
          {children}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
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
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="dialog-buttons">
        <Dialog.Close asChild>
          <button type="button" className="button-quiet">
            Cancel
          </button>
        </Dialog.Close>
        <button type="button" className={danger ? "button-danger" : "button-primary"} onClick={onConfirm} disabled={pending}>
          {pending ? "Working…" : confirmLabel}
        </button>
      </div>
    </ModalDialog>
  );
}
