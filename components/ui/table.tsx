/** Shared class names for dense, calm data tables. */
export const table = {
  wrap: "overflow-x-auto",
  table: "w-full border-collapse text-[13px]",
  th: "h-8 border-b border-line bg-surface-2 px-3 text-left text-[11px] font-semibold tracking-wide text-fg-subtle uppercase whitespace-nowrap",
  td: "h-9 border-b border-line px-3 align-middle",
  /** Narrower cell padding for wide tables that must fit a laptop screen (the services table). */
  thDense: "h-8 border-b border-line bg-surface-2 px-2 text-left text-[11px] font-semibold tracking-wide text-fg-subtle uppercase whitespace-nowrap",
  tdDense: "h-9 border-b border-line px-2 align-middle",
  row: "hover:bg-surface-2",
  mono: "font-mono text-[12.5px]",
  actions: "w-px whitespace-nowrap text-right",
};
