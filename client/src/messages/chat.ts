/** Strings of the Chat page; every key needs both languages. */
export const en = {
  'chat.title': 'Chat',
};

export const zh: Record<keyof typeof en, string> = {
  'chat.title': '对话',
};
