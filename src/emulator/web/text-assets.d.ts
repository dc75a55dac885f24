// The page's stylesheet, imported as text by pages.ts (`with { type: "text" }`).
declare module "*.css" {
  const text: string;
  export default text;
}
