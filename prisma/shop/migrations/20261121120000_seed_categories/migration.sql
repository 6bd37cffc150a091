-- Seed the category tree: 7 roots, 28 leaves. Items may only be filed under a leaf.
-- Slugs are stable identifiers (a-z0-9 and hyphens): search documents and URLs use them.
-- Idempotent: a category that already exists keeps its row.

INSERT INTO "categories" ("slug", "name_ru", "name_en", "parent_slug", "position") VALUES
  ('electronics', 'Электроника',      'Electronics',       NULL, 1),
  ('clothing',    'Одежда и обувь',   'Clothing & Shoes',  NULL, 2),
  ('home',        'Дом',              'Home',              NULL, 3),
  ('sports',      'Спорт и отдых',    'Sports & Outdoors', NULL, 4),
  ('books',       'Книги',            'Books',             NULL, 5),
  ('beauty',      'Красота',          'Beauty',            NULL, 6),
  ('toys',        'Игрушки',          'Toys',              NULL, 7)
ON CONFLICT ("slug") DO NOTHING;

INSERT INTO "categories" ("slug", "name_ru", "name_en", "parent_slug", "position") VALUES
  ('laptops',           'Ноутбуки',                   'Laptops',            'electronics', 1),
  ('smartphones',       'Смартфоны',                  'Smartphones',        'electronics', 2),
  ('headphones',        'Наушники',                   'Headphones',         'electronics', 3),
  ('tv',                'Телевизоры',                 'TVs',                'electronics', 4),
  ('tablets',           'Планшеты',                   'Tablets',            'electronics', 5),
  ('cameras',           'Фотоаппараты',               'Cameras',            'electronics', 6),
  ('running-shoes',     'Беговые кроссовки',          'Running shoes',      'clothing',    1),
  ('sneakers',          'Кеды и кроссовки',           'Sneakers',           'clothing',    2),
  ('jackets',           'Куртки',                     'Jackets',            'clothing',    3),
  ('t-shirts',          'Футболки',                   'T-shirts',           'clothing',    4),
  ('jeans',             'Джинсы',                     'Jeans',              'clothing',    5),
  ('furniture',         'Мебель',                     'Furniture',          'home',        1),
  ('kitchen',           'Кухня',                      'Kitchen',            'home',        2),
  ('lighting',          'Освещение',                  'Lighting',           'home',        3),
  ('home-textiles',     'Домашний текстиль',          'Home textiles',      'home',        4),
  ('fitness',           'Фитнес',                     'Fitness',            'sports',      1),
  ('cycling',           'Велоспорт',                  'Cycling',            'sports',      2),
  ('camping',           'Туризм и кемпинг',           'Camping & Hiking',   'sports',      3),
  ('swimming',          'Плавание',                   'Swimming',           'sports',      4),
  ('fiction',           'Художественная литература',  'Fiction',            'books',       1),
  ('science',           'Научно-популярная литература', 'Popular science',  'books',       2),
  ('children',          'Детские книги',              'Children''s books',  'books',       3),
  ('skincare',          'Уход за кожей',              'Skincare',           'beauty',      1),
  ('makeup',            'Макияж',                     'Makeup',             'beauty',      2),
  ('perfume',           'Парфюмерия',                 'Perfume',            'beauty',      3),
  ('construction-toys', 'Конструкторы',               'Construction toys',  'toys',        1),
  ('dolls',             'Куклы',                      'Dolls',              'toys',        2),
  ('board-games',       'Настольные игры',            'Board games',        'toys',        3)
ON CONFLICT ("slug") DO NOTHING;
