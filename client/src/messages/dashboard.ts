/** Strings of the Dashboard page; every key needs both languages. */
export const en = {
  'dashboard.title': 'Dashboard',
};

export const zh: Record<keyof typeof en, string> = {
  'dashboard.title': '仪表盘',
};
