/** Small stroke icons used in row actions (always paired with an aria-label or visible text). */
const base = { width: 14, height: 14, viewBox: "0 0 16 16", fill: "none", stroke: "currentColor", strokeWidth: 1.5, strokeLinecap: "round", strokeLinejoin: "round", "aria-hidden": true } as const;

export const PencilIcon = () => (
  <svg {...base}>
    <path d="M11 2.5l2.5 2.5L5.5 13H3v-2.5z" />
  </svg>
);
export const TrashIcon = () => (
  <svg {...base}>
    <path d="M2.5 4h11M6 4V2.5h4V4M4 4l.7 9.5h6.6L12 4" />
  </svg>
);
export const PlusIcon = () => (
  <svg {...base}>
    <path d="M8 3v10M3 8h10" />
  </svg>
);
export const ChevronIcon = ({ open }: { open: boolean }) => (
  <svg {...base} style={{ transform: open ? "rotate(90deg)" : undefined, transition: "transform 120ms" }}>
    <path d="M6 3.5 10.5 8 6 12.5" />
  </svg>
);
export const SearchIcon = () => (
  <svg {...base}>
    <circle cx="7" cy="7" r="4.5" />
    <path d="M10.5 10.5 14 14" />
  </svg>
);
export const CopyIcon = () => (
  <svg {...base}>
    <rect x="5" y="5" width="8.5" height="8.5" rx="1" />
    <path d="M3 11V3.5A1 1 0 0 1 4 2.5h7" />
  </svg>
);
