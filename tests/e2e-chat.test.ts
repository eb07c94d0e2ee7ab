/**
 * The admin's Chat page and the Models page's Test button in headless Chromium, against the real
 * server (the `chat` subscription over SSE) and the mock upstream. The mock's `repeat` backend
 * streams the last message back word by word, so a test chooses the answer's Markdown by what it
 * sends. Screenshots go to test-output/screenshots for a reviewer. Skipped without Chromium (not in CI).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Browser, Page } from 'playwright-core';
import { startApp, type TestApp } from './helpers/app.ts';
import { chromiumAvailable, launchChromium, screenshot, signIn } from './helpers/browser.ts';
import { startMockUpstream } from './helpers/mock-upstream.ts';

const available = chromiumAvailable('e2e-chat');

const MESSAGE = 'textarea[aria-label="Message"]';
const CODE_ANSWER = [
  'Here is a function:',
  '',
  '```js',
  'const answer = 42;',
  'function ask() { return answer; } // always',
  '```',
  '',
  'It returns **42**.',
].join('\n');

describe.skipIf(!available)('chat page in Chromium', () => {
  const mock = startMockUpstream();
  let app: TestApp;
  let browser: Browser;
  let page: Page;
  const shot = (name: string) => screenshot(page, name);
  const lastAnswer = () => page.locator('.chat-assistant').last();
  const sentMessages = () => (JSON.parse(mock.requests.at(-1)!.body) as { messages: { role: string; content: string }[] }).messages;

  /** Waits until the last answer has left the streaming state; returns the state it ended in. */
  async function answerEnds(timeout = 10_000): Promise<string> {
    await page.waitForFunction(() => {
      const all = document.querySelectorAll('.chat-assistant');
      const state = all[all.length - 1]?.getAttribute('data-state');
      return state !== undefined && state !== 'streaming';
    }, undefined, { timeout });
    return (await lastAnswer().getAttribute('data-state'))!;
  }

  async function send(model: string, text: string) {
    await page.selectOption('.chat-model select', model);
    await page.fill(MESSAGE, text);
    await page.press(MESSAGE, 'Enter');
  }

  async function newChat() {
    if (await page.isEnabled('button:has-text("New chat")')) await page.click('button:has-text("New chat")');
    await page.waitForSelector('.chat-empty');
  }

  beforeAll(async () => {
    app = await startApp();
    await app.addConfig({ proxyModelName: 'slow', baseUrl: mock.baseUrl, backendModelName: 'slow:20:100' });
    await app.addConfig({ proxyModelName: 'long', baseUrl: mock.baseUrl, backendModelName: 'slow:2000:1' });
    await app.addConfig({ proxyModelName: 'repeat', baseUrl: mock.baseUrl, backendModelName: 'repeat' });
    await app.addConfig({ proxyModelName: 'thinker', baseUrl: mock.baseUrl, backendModelName: 'fixture:deepseek-chat-reasoning' });
    await app.addConfig({ proxyModelName: 'broken', baseUrl: mock.baseUrl, backendModelName: 'status:500' });
    await app.addConfig({ proxyModelName: 'vanishing', baseUrl: mock.baseUrl, backendModelName: 'repeat' });
    await app.addConfig({ proxyModelName: 'switched-off', baseUrl: mock.baseUrl, backendModelName: 'repeat', enabled: false });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signIn(page, app.url, '/chat');
    await page.waitForSelector('.chat-model select');
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    mock.stop();
  });

  test('only enabled models are offered, each name once', async () => {
    const options = await page.locator('.chat-model option').allTextContents();
    expect(options).toEqual(['broken', 'long', 'repeat', 'slow', 'thinker', 'vanishing']);
  });

  test('tokens appear while the answer streams; the finished answer shows status and timings', async () => {
    await send('slow', 'Count for me');
    await page.waitForSelector('.chat-assistant .markdown:has-text("t2")');
    // Part of the answer is on screen while it is still coming.
    expect(await page.isVisible('button:has-text("Stop")')).toBe(true);
    expect(await lastAnswer().textContent()).not.toContain('t19');
    expect(await answerEnds()).toBe('done');
    expect(await lastAnswer().locator('.markdown').textContent()).toContain('t19');
    const meta = await lastAnswer().locator('.chat-meta').textContent();
    expect(meta).toContain('200');
    expect(meta).toMatch(/first token \d+ ms/);
    expect(meta).toMatch(/\d+ ms in all/);
    expect(await page.isVisible('button:has-text("Send")')).toBe(true);
  }, 20_000);

  test('a long answer streams without freezing the page', async () => {
    await newChat();
    // Longest gap between two animation frames while the answer streams in.
    await page.evaluate(() => {
      const w = window as unknown as { maxFrameGap: number; probing: boolean };
      w.maxFrameGap = 0;
      w.probing = true;
      let last = performance.now();
      const tick = (now: number) => {
        w.maxFrameGap = Math.max(w.maxFrameGap, now - last);
        last = now;
        if (w.probing) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    await send('long', 'Count to two thousand');
    expect(await answerEnds(30_000)).toBe('done');
    const gap = await page.evaluate(() => {
      const w = window as unknown as { maxFrameGap: number; probing: boolean };
      w.probing = false;
      return w.maxFrameGap;
    });
    await page.waitForFunction(() => document.querySelector('.chat-assistant .markdown')?.textContent?.includes('t1999'));
    // About 50 ms here; a frozen page would show seconds.
    expect(gap).toBeLessThan(250);
  }, 40_000);

  test('Stop ends the subscription, which cancels the backend; the partial answer stays, marked stopped', async () => {
    await newChat();
    const cancelledBefore = mock.cancelled.length;
    await send('slow', 'Count again');
    await page.waitForSelector('.chat-assistant .markdown:has-text("t1")');
    await page.click('button:has-text("Stop")');
    expect(await answerEnds()).toBe('stopped');
    const deadline = Date.now() + 5_000;
    while (mock.cancelled.length === cancelledBefore && Date.now() < deadline) await Bun.sleep(20);
    expect(mock.cancelled.slice(cancelledBefore)).toContain('slow:20:100');
    const partial = await lastAnswer().locator('.markdown').textContent();
    expect(partial).toContain('t1');
    expect(partial).not.toContain('t19');
    expect(await lastAnswer().locator('.chat-meta').textContent()).toContain('Stopped');
    await Bun.sleep(400);
    expect(await lastAnswer().locator('.markdown').textContent()).toBe(partial);
  }, 20_000);

  test('Shift+Enter makes a new line; a second turn sends the earlier messages', async () => {
    await newChat();
    await send('repeat', 'first question');
    expect(await answerEnds()).toBe('done');
    expect(await lastAnswer().locator('.markdown').textContent()).toContain('first question');

    await page.fill(MESSAGE, 'second');
    await page.press(MESSAGE, 'Shift+Enter');
    await page.type(MESSAGE, 'line');
    expect(await page.inputValue(MESSAGE)).toBe('second\nline');
    expect(await page.locator('.chat-user').count()).toBe(1);
    await page.press(MESSAGE, 'Enter');
    expect(await answerEnds()).toBe('done');
    expect(await page.inputValue(MESSAGE)).toBe('');
    expect(sentMessages()).toEqual([
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'first question' },
      { role: 'user', content: 'second\nline' },
    ]);
  }, 20_000);

  test('settings are validated in the form; the system prompt, temperature and max tokens are sent', async () => {
    await newChat();
    await page.fill('label:has-text("Temperature") input', '5');
    await page.fill(MESSAGE, 'hot');
    expect(await page.textContent('.chat-settings')).toContain('Temperature must be a number from 0 to 2.');
    expect(await page.isDisabled('button:has-text("Send")')).toBe(true);
    await page.fill('label:has-text("Temperature") input', '0.3');
    await page.fill('label:has-text("Max tokens") input', '1.5');
    expect(await page.textContent('.chat-settings')).toContain('Max tokens must be a whole number above 0.');
    // Beyond GraphQL's Int: the form lets it through, the server refuses it, the refusal is readable.
    await page.fill('label:has-text("Max tokens") input', '99999999999');
    await page.fill(MESSAGE, 'huge');
    await page.press(MESSAGE, 'Enter');
    expect(await answerEnds()).toBe('error');
    expect(await lastAnswer().locator('.chat-error').textContent()).toContain('Int cannot represent non 32-bit signed integer value: 99999999999');
    await newChat();
    await page.fill('label:has-text("Max tokens") input', '50');
    await page.fill('label:has-text("System prompt") textarea', 'Be brief.');
    await send('repeat', 'hot');
    expect(await answerEnds()).toBe('done');
    const body = JSON.parse(mock.requests.at(-1)!.body) as Record<string, unknown>;
    expect(body).toMatchObject({ temperature: 0.3, max_tokens: 50, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hot' }] });
    await page.fill('label:has-text("System prompt") textarea', '');
    await page.fill('label:has-text("Temperature") input', '');
    await page.fill('label:has-text("Max tokens") input', '');
  }, 20_000);

  test('reasoning streams into a muted block above the answer, folded once the answer is done', async () => {
    await newChat();
    await send('thinker', 'How many r in strawberry?');
    expect(await answerEnds()).toBe('done');
    const reasoning = lastAnswer().locator('details.chat-reasoning');
    expect(await reasoning.count()).toBe(1);
    expect(await reasoning.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    expect((await reasoning.locator('.chat-reasoning-text').textContent())!.length).toBeGreaterThan(10);
    expect(await lastAnswer().locator('.markdown').textContent()).toContain('strawberry');
  }, 20_000);

  test('an answer in Markdown renders, its code block highlighted', async () => {
    await newChat();
    await page.fill(MESSAGE, CODE_ANSWER);
    await page.selectOption('.chat-model select', 'repeat');
    await page.click('button:has-text("Send")');
    expect(await answerEnds()).toBe('done');
    const answer = lastAnswer();
    expect(await answer.locator('.markdown pre > code.language-js').count()).toBe(1);
    expect(await answer.locator('.markdown pre code .hljs-keyword').first().textContent()).toBe('const');
    expect(await answer.locator('.markdown pre code .hljs-comment').textContent()).toBe('// always');
    expect(await answer.locator('.markdown strong').textContent()).toBe('42');
    // The user's own message is shown as typed, not rendered.
    expect(await page.locator('.chat-user .chat-user-text').textContent()).toBe(CODE_ANSWER);
    await shot('chat');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('chat-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  }, 20_000);

  test('markup in an answer is shown as text and runs nothing; script links are not links', async () => {
    const markup = 'Look <img src=x onerror="window.pwned=1"> here <script>window.pwned=2</script> and [click](javascript:window.pwned=3)';
    await send('repeat', markup);
    expect(await answerEnds()).toBe('done');
    const answer = lastAnswer().locator('.markdown');
    expect(await answer.textContent()).toContain('<img src=x onerror="window.pwned=1">');
    expect(await answer.textContent()).toContain('<script>window.pwned=2</script>');
    expect(await answer.locator('img, script').count()).toBe(0);
    expect(await answer.locator('a').count()).toBe(0);
    await Bun.sleep(100);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
  }, 20_000);

  test('backend errors and unknown models show a readable message in the conversation', async () => {
    await send('broken', 'Hello?');
    expect(await answerEnds()).toBe('error');
    expect(await lastAnswer().locator('.chat-error').textContent()).toBe('mock error 500');
    expect(await lastAnswer().locator('.chat-meta').textContent()).toContain('500');

    // The model list was loaded before this config went away: the proxy no longer knows the name.
    const configs = await app.gql<{ configs: { id: string; proxyModelName: string }[] }>('{ configs { id proxyModelName } }');
    const vanishing = configs.data!.configs.find((c) => c.proxyModelName === 'vanishing')!;
    await app.gql('mutation($id: ID!) { deleteConfig(id: $id) }', { id: vanishing.id });
    await send('vanishing', 'Anyone there?');
    expect(await answerEnds()).toBe('error');
    expect(await lastAnswer().locator('.chat-error').textContent()).toContain('vanishing');
    expect(await lastAnswer().locator('.chat-meta').textContent()).toContain('404');
    // The conversation goes on after an error.
    await send('repeat', 'still here');
    expect(await answerEnds()).toBe('done');
  }, 20_000);

  test('"View log" opens the Logs page on that exchange; the conversation is still there on return', async () => {
    const turnsBefore = await page.locator('.chat-turn').count();
    // The repeat backend answers with the last message: that text is what the log's merged text holds.
    const answer = (await page.locator('.chat-user-text').last().textContent()) ?? '';
    expect(answer.length).toBeGreaterThan(0);
    await lastAnswer().locator('a:has-text("View log")').click();
    await page.waitForURL(/\/logs\?log=/);
    const id = new URL(page.url()).searchParams.get('log')!;
    await app.drain();
    const logged = await app.gql<{ log: { path: string; model: string; statusCode: number } | null }>('query($id: ID!) { log(id: $id) { path model statusCode } }', { id });
    expect(logged.data?.log).toEqual({ path: '/v1/chat/completions', model: 'repeat', statusCode: 200 });
    // The entry opens in a modal drawer with the chat's answer as its merged text; the list beneath has it too.
    await page.waitForSelector('.drawer[role=dialog]');
    const merged = page.locator('.drawer details:has(summary:has-text("Merged text")) pre');
    await merged.waitFor();
    expect(await merged.textContent()).toBe(answer);
    expect(await page.locator(`tr:has-text("repeat")`).count()).toBeGreaterThan(0);
    await page.keyboard.press('Escape');
    await page.click('nav a:has-text("Chat")');
    await page.waitForSelector('.chat-turn');
    expect(await page.locator('.chat-turn').count()).toBe(turnsBefore);
  }, 20_000);

  test('the narrow layout at 390 px keeps the answer and its code inside the screen', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    await newChat();
    await send('repeat', CODE_ANSWER);
    expect(await answerEnds()).toBe('done');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await page.isVisible('button:has-text("Send")')).toBe(true);
    await shot('chat-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
  }, 20_000);

  test('the Models page Test button runs a chat pinned to that config, disabled or not', async () => {
    await page.click('nav a:has-text("Models")');
    await page.waitForSelector('td:has-text("switched-off")');
    await page.click('tr:has-text("switched-off") button:has-text("Test")');
    await page.waitForSelector('tr:has-text("switched-off") .test-result:has-text("200")');
    expect(await page.textContent('tr:has-text("switched-off") .test-result')).toMatch(/^200 in \d+ ms: Say hello in five words\.$/);
    expect(JSON.parse(mock.requests.at(-1)!.body)).toMatchObject({ model: 'repeat', max_tokens: 32, messages: [{ role: 'user', content: 'Say hello in five words.' }] });

    await page.click('tr:has-text("broken") button:has-text("Test")');
    await page.waitForSelector('tr:has-text("broken") .test-result:has-text("500")');
    expect(await page.textContent('tr:has-text("broken") .test-result')).toMatch(/^500 in \d+ ms: mock error 500$/);
  }, 20_000);
});
