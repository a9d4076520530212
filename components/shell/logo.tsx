/** The lvs-control mark: one director fanning out to three real servers. */
export function Logo() {
  return (
    <svg width="18" height="18" viewBox="0 0 18 18" aria-hidden className="text-accent">
      <circle cx="9" cy="3" r="2" fill="currentColor" />
      <circle cx="3" cy="14.5" r="2" fill="none" stroke="currentColor" strokeWidth="1.5" />
      <circle cx="9" cy="14.5" r="2" fill="none" stroke="currentColor" strokeWidth="1.5" />
      <circle cx="15" cy="14.5" r="2" fill="none" stroke="currentColor" strokeWidth="1.5" />
      <path d="M9 5v7.5M8 4.6 3.8 12.6M10 4.6l4.2 8" stroke="currentColor" strokeWidth="1.3" fill="none" />
    </svg>
  );
}
