// The mock engine's `mock:long <chars>` answer: prose paragraphs with a code fence every fifth block,
// deterministic so tests can compare what arrives (split messages, answer.md) with what was sent.

export function mockLongAnswer(chars: number): string {
  const para = "This is a long answer from the mock agent, written to test how answers are split. ";
  const blocks: string[] = [];
  let size = 0;
  for (let i = 0; size < chars; i++) {
    const block =
      i % 5 === 4
        ? `\`\`\`ts\nconst line${i} = ${i}; // code inside a fence\n${"const x = 1;\n".repeat(8)}\`\`\``
        : para.repeat(3);
    blocks.push(block);
    size += block.length + 2;
  }
  return blocks.join("\n\n");
}
