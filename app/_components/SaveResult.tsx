"use client";

/** What a settings form's save came to: its error (naming the field) or a short confirmation. */
export function SaveResult({ save, saved = "Saved." }: { save: { isError: boolean; isSuccess: boolean; error: { message: string } | null }; saved?: string }) {
  if (save.isError) {
    return (
      <p className="form-error" role="alert">
        {save.error?.message}
      </p>
    );
  }
  return save.isSuccess ? <p role="status">{saved}</p> : null;
}
