/** Inline <head> script: applies the stored theme (or the system's) before first paint. */
export const THEME_STORAGE_KEY = "lvs-theme";

export const themeBootScript = `(function(){try{var c=localStorage.getItem("${THEME_STORAGE_KEY}");var d=c==="dark"||(c!=="light"&&window.matchMedia("(prefers-color-scheme: dark)").matches);document.documentElement.classList.toggle("dark",d);}catch(e){}})();`;
