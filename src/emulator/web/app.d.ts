// app.js is the page's browser script; TypeScript only sees it through pages.ts's text import
// (`with { type: "text" }`), which yields its source as a string.
declare const text: string;
export default text;
