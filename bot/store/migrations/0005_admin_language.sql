-- The dashboard language an admin chose ('en' or 'es'); NULL follows the browser's Accept-Language.
ALTER TABLE admins ADD COLUMN language TEXT;
