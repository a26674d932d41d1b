from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    database_url: str
    redis_url: str = "redis://localhost:6379/0"
    stripe_api_key: str = ""
    log_level: str = "info"


settings = Settings()
